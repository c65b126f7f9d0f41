#!/usr/bin/env bash
# Benchmarks running an action through the hub: `front_list_conversations` (limit 25) through
# `POST /actions/rpc` against a direct `GET /conversations?limit=25` to the simulator, with the
# same tool (wrk) in the same run, rate limits off. Two loads, at 1, 4 and 16 connections:
#
# - flat out: every connection sends its next request as soon as the answer is in. Reports
#   requests per second, p50/p99, the latency the hub adds, and CPU time per call of the hub and
#   of the simulator (utime + stime from /proc/PID/stat before and after each run). Direct and
#   RPC runs alternate ROUNDS times and each figure is the median, as this machine's speed
#   drifts between runs.
# - paced: each connection waits THINK_MS between an answer and its next request (callers that
#   are not a load test), so the latency is the path's own rather than time queued for a CPU.
#
# PIN=1 puts the simulator and wrk on CPU 0 and the hub on CPU 1 (taskset), so that what the
# hub adds is not time spent waiting for a CPU that the load tool or the simulator holds: in
# production neither Front nor the callers run on the hub's machine.
#
# Prints a Markdown section for BENCHMARKS.md on stdout; progress goes to stderr. Only talks to
# 127.0.0.1.
#
# Usage: scripts/bench-rpc.sh   (DURATION=10s ROUNDS=3 THINK_MS=10 PIN=; HUB_WORKERS=n runs the
# hub with n runtime threads (TOKIO_WORKER_THREADS), default one per usable core;
# ACTIONHUB_BIN=path skips the build)
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
THINK_MS="${THINK_MS:-10}"
HUB_WORKERS="${HUB_WORKERS:-}"
PIN="${PIN:-}"
on_load_cpu=(); on_hub_cpu=(); placement="all processes share both CPUs"
if [ -n "$PIN" ]; then
    on_load_cpu=(taskset -c 0); on_hub_cpu=(taskset -c 1)
    placement="simulator and wrk on CPU 0, hub on CPU 1"
fi
TOKEN="bench-token"
BIN="${ACTIONHUB_BIN:-${CARGO_TARGET_DIR:-target}/release/actionhub}"

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)..." >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq wrk >&2
fi

if [ -z "${ACTIONHUB_BIN:-}" ]; then
    echo "building the release binary..." >&2
    cargo build --release --quiet -p actionhub
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
for name in $(env | grep -o '^ACTIONHUB_[A-Z_]*') TOKIO_WORKER_THREADS; do unset "$name"; done
export ACTIONHUB_DATA_DIR="$work/data"

wait_for() { # FILE PATTERN PID
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { cat "$1" >&2; exit 1; }
        sleep 0.1
    done
    echo "timed out waiting for $2 in $1" >&2; exit 1
}

"${on_load_cpu[@]}" "$BIN" sim --bind 127.0.0.1:0 --rpm 0 --burst 0 --token "$TOKEN" \
    >"$work/sim.url" 2>"$work/sim.log" &
sim_pid=$!; pids+=("$sim_pid")
wait_for "$work/sim.url" "http" "$sim_pid"
sim_url="$(head -n1 "$work/sim.url")"
export ACTIONHUB_FRONT_BASE_URL="$sim_url"

key="$("$BIN" keys create --name bench 2>/dev/null)"
account="$("$BIN" accounts link --token "$TOKEN" 2>/dev/null)"
# `serving` (with the address) at info; the per-request log line stays off, as in production
# setups that keep RUST_LOG at warn.
RUST_LOG="warn,actionhub=info,actionhub::http=warn" \
    "${on_hub_cpu[@]}" env ${HUB_WORKERS:+TOKIO_WORKER_THREADS="$HUB_WORKERS"} \
    "$BIN" serve --bind 127.0.0.1:0 2>"$work/hub.log" &
hub_pid=$!; pids+=("$hub_pid")
wait_for "$work/hub.log" "actionhub serving" "$hub_pid"
hub_url="http://$(grep -o 'address=[0-9.:]*' "$work/hub.log" | head -n1 | cut -d= -f2)"

# A wrk script per target; PACE=1 adds the think time between an answer and the next request.
write_script() { # FILE PACE METHOD BODY HEADER...
    local file="$1" pace="$2" method="$3" body="$4"; shift 4
    {
        echo "wrk.method = \"$method\""
        if [ -n "$body" ]; then echo "wrk.body = '$body'"; fi
        for header in "$@"; do
            echo "wrk.headers[\"${header%%: *}\"] = \"${header#*: }\""
        done
        if [ "$pace" = 1 ]; then echo "function delay() return $THINK_MS end"; fi
    } >"$file"
}
rpc_body='{"action":"front_list_conversations","query":{"limit":25}}'
basic="Basic $(printf '%s:' "$key" | base64 -w0)"
for pace in 0 1; do
    write_script "$work/direct$pace.lua" "$pace" GET "" "Authorization: Bearer $TOKEN"
    write_script "$work/rpc$pace.lua" "$pace" POST "$rpc_body" "Content-Type: application/json" \
        "Authorization: $basic" "x-account-id: $account"
done
direct_url="$sim_url/conversations?limit=25"
rpc_url="$hub_url/actions/rpc"

# A check that both answer before measuring.
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$direct_url"
curl -fsS -o /dev/null -u "$key:" -H "x-account-id: $account" -H 'content-type: application/json' \
    -d "$rpc_body" "$rpc_url"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ="$(getconf CLK_TCK)"
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.3f", n
    }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
per_call_us() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'; }

# Runs wrk; sets rps, p50, p99 and the CPU per call (µs) of the hub and the simulator.
measure() { # CONNECTIONS SCRIPT URL
    local threads=$(( $1 < 2 ? 1 : 2 ))
    local hub_before sim_before out requests
    hub_before="$(ticks "$hub_pid")"; sim_before="$(ticks "$sim_pid")"
    out="$("${on_load_cpu[@]}" wrk -t"$threads" -c"$1" -d"$DURATION" --latency -s "$2" "$3")"
    hub_cpu="$(( $(ticks "$hub_pid") - hub_before ))"; sim_cpu="$(( $(ticks "$sim_pid") - sim_before ))"
    if grep -q "Non-2xx\|Socket errors" <<<"$out"; then echo "$out" >&2; echo "error: failures during the run" >&2; exit 1; fi
    rps="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
    requests="$(awk '/requests in/ {print $1}' <<<"$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    hub_cpu="$(per_call_us "$hub_cpu" "$requests")"; sim_cpu="$(per_call_us "$sim_cpu" "$requests")"
}

echo "warming up..." >&2
"${on_load_cpu[@]}" wrk -t1 -c4 -d2s -s "$work/direct0.lua" "$direct_url" >/dev/null
"${on_load_cpu[@]}" wrk -t1 -c4 -d2s -s "$work/rpc0.lua" "$rpc_url" >/dev/null

flat=()
for connections in 1 4 16; do
    d_rps=(); d_p50=(); d_p99=(); d_sim=(); r_rps=(); r_p50=(); r_p99=(); r_hub=(); r_sim=()
    for round in $(seq "$ROUNDS"); do
        echo "flat out, $connections connection(s), round $round of $ROUNDS: direct, then RPC ($DURATION each)..." >&2
        measure "$connections" "$work/direct0.lua" "$direct_url"
        d_rps+=("$rps"); d_p50+=("$p50"); d_p99+=("$p99"); d_sim+=("$sim_cpu")
        measure "$connections" "$work/rpc0.lua" "$rpc_url"
        r_rps+=("$rps"); r_p50+=("$p50"); r_p99+=("$p99"); r_hub+=("$hub_cpu"); r_sim+=("$sim_cpu")
    done
    dp50="$(median "${d_p50[@]}")"; rp50="$(median "${r_p50[@]}")"
    dp99="$(median "${d_p99[@]}")"; rp99="$(median "${r_p99[@]}")"
    sim="$(median "${d_sim[@]}")"; hub="$(median "${r_hub[@]}")"
    flat+=("| $connections | $(median "${d_rps[@]}") | $(median "${r_rps[@]}") | $dp50 | $rp50 | **$(sub "$rp50" "$dp50")** | $dp99 | $rp99 | **$(sub "$rp99" "$dp99")** | $sim | $hub | $(median "${r_sim[@]}") | **$(div "$hub" "$sim")** |")
done

paced=()
for connections in 1 4 16; do
    echo "paced ($THINK_MS ms between calls), $connections connection(s): direct, then RPC ($DURATION each)..." >&2
    measure "$connections" "$work/direct1.lua" "$direct_url"
    d_rps="$rps"; dp50="$p50"; dp99="$p99"
    measure "$connections" "$work/rpc1.lua" "$rpc_url"
    paced+=("| $connections | $d_rps | $rps | $dp50 | $p50 | **$(sub "$p50" "$dp50")** | $dp99 | $p99 | **$(sub "$p99" "$dp99")** |")
done

cat <<MD
## Running actions

\`scripts/bench-rpc.sh\` (DURATION=$DURATION per run, ROUNDS=$ROUNDS, THINK_MS=$THINK_MS), run on $(date -u +%Y-%m-%d):
\`front_list_conversations\` (\`limit\` 25, a 50 KB page) through \`POST /actions/rpc\` against a
direct \`GET /conversations?limit=25\` to the simulator (\`--rpm 0 --burst 0\`), both with wrk in
the same run (release build, SQLite, in-process pacer, \`RUST_LOG=warn\`, hub runtime threads:
${HUB_WORKERS:-one per usable core}; $placement). Added latency = RPC minus direct.

**Flat out** (each connection sends its next request as soon as it has the answer; direct and
RPC runs alternate $ROUNDS times, figures are medians). CPU per call = (utime + stime) of the
process during the run, divided by the requests wrk completed: the simulator's in the direct
run, the hub's in the RPC run, and for reference the simulator's in the RPC run (serving the
hub, measured in the same seconds as the hub).

| connections | direct req/s | RPC req/s | direct p50 (ms) | RPC p50 (ms) | added p50 (ms) | direct p99 (ms) | RPC p99 (ms) | added p99 (ms) | sim CPU/call (µs) | hub CPU/call (µs) | sim CPU/call in RPC run (µs) | hub ÷ sim |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${flat[@]}")

**Paced** (each connection waits $THINK_MS ms between an answer and its next request).

| connections | direct req/s | RPC req/s | direct p50 (ms) | RPC p50 (ms) | added p50 (ms) | direct p99 (ms) | RPC p99 (ms) | added p99 (ms) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${paced[@]}")

Targets (issue 5): added p50 ≤ 0.3 ms and p99 ≤ 1 ms at 1 to 16 connections; hub CPU per call
≤ 1.5× the simulator's.
MD
