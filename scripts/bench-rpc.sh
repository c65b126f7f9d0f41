#!/usr/bin/env bash
# Benchmarks running an action through the hub: `front_list_conversations` (limit 25) through
# `POST /actions/rpc` against a direct `GET /conversations?limit=25` to the simulator, with the
# same tool (wrk) in the same run, rate limits off, at 1, 4 and 16 connections. Reports
# requests per second, p50/p99, the latency the hub adds, and CPU time per call of the hub and
# of the simulator (utime + stime from /proc/PID/stat before and after each run). Prints a
# Markdown section for BENCHMARKS.md on stdout; progress goes to stderr. Only talks to 127.0.0.1.
#
# Usage: scripts/bench-rpc.sh   (DURATION=20s for longer runs; ACTIONHUB_BIN=path skips the build)
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
TOKEN="bench-token"
BIN="${ACTIONHUB_BIN:-target/release/actionhub}"

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
for name in $(env | grep -o '^ACTIONHUB_[A-Z_]*'); do unset "$name"; done
export ACTIONHUB_DATA_DIR="$work/data"

wait_for() { # FILE PATTERN PID
    for _ in $(seq 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { cat "$1" >&2; exit 1; }
        sleep 0.1
    done
    echo "timed out waiting for $2 in $1" >&2; exit 1
}

"$BIN" sim --bind 127.0.0.1:0 --rpm 0 --burst 0 --token "$TOKEN" >"$work/sim.url" 2>"$work/sim.log" &
sim_pid=$!; pids+=("$sim_pid")
wait_for "$work/sim.url" "http" "$sim_pid"
sim_url="$(head -n1 "$work/sim.url")"
export ACTIONHUB_FRONT_BASE_URL="$sim_url"

key="$("$BIN" keys create --name bench 2>/dev/null)"
account="$("$BIN" accounts link --token "$TOKEN" 2>/dev/null)"
# `serving` (with the address) at info; the per-request log line stays off, as in production
# setups that keep RUST_LOG at warn.
RUST_LOG="warn,actionhub=info,actionhub::http=warn" "$BIN" serve --bind 127.0.0.1:0 2>"$work/hub.log" &
hub_pid=$!; pids+=("$hub_pid")
wait_for "$work/hub.log" "actionhub serving" "$hub_pid"
hub_url="http://$(grep -o 'address=[0-9.:]*' "$work/hub.log" | head -n1 | cut -d= -f2)"

cat >"$work/rpc.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"action":"front_list_conversations","query":{"limit":25}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic $(printf '%s:' "$key" | base64 -w0)"
wrk.headers["x-account-id"] = "$account"
LUA

# A check that both answer before measuring.
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$sim_url/conversations?limit=25"
curl -fsS -o /dev/null -u "$key:" -H "x-account-id: $account" -H 'content-type: application/json' \
    -d '{"action":"front_list_conversations","query":{"limit":25}}' "$hub_url/actions/rpc"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ="$(getconf CLK_TCK)"
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.3f", n
    }'
}

# Runs wrk; sets rps, p50, p99, requests and the CPU ticks of the hub and the simulator.
measure() { # CONNECTIONS ARGS...
    local connections="$1"; shift
    local threads=$(( connections < 2 ? 1 : 2 ))
    local hub_before sim_before out
    hub_before="$(ticks "$hub_pid")"; sim_before="$(ticks "$sim_pid")"
    out="$(wrk -t"$threads" -c"$connections" -d"$DURATION" --latency "$@")"
    hub_ticks=$(( $(ticks "$hub_pid") - hub_before )); sim_ticks=$(( $(ticks "$sim_pid") - sim_before ))
    if grep -q "Non-2xx\|Socket errors" <<<"$out"; then echo "$out" >&2; echo "error: failures during the run" >&2; exit 1; fi
    rps="$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
    requests="$(awk '/requests in/ {print $1}' <<<"$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
}
per_call_us() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'; }

echo "warming up..." >&2
wrk -t1 -c4 -d2s -H "Authorization: Bearer $TOKEN" "$sim_url/conversations?limit=25" >/dev/null
wrk -t1 -c4 -d2s -s "$work/rpc.lua" "$hub_url/actions/rpc" >/dev/null

rows=()
for connections in 1 4 16; do
    echo "wrk: direct GET /conversations?limit=25, $connections connection(s), $DURATION..." >&2
    measure "$connections" -H "Authorization: Bearer $TOKEN" "$sim_url/conversations?limit=25"
    d_rps=$rps; d_p50=$p50; d_p99=$p99; d_sim_cpu="$(per_call_us "$sim_ticks" "$requests")"
    echo "wrk: POST /actions/rpc, $connections connection(s), $DURATION..." >&2
    measure "$connections" -s "$work/rpc.lua" "$hub_url/actions/rpc"
    r_rps=$rps; r_p50=$p50; r_p99=$p99
    r_hub_cpu="$(per_call_us "$hub_ticks" "$requests")"; r_sim_cpu="$(per_call_us "$sim_ticks" "$requests")"
    add50="$(awk -v a="$r_p50" -v b="$d_p50" 'BEGIN {printf "%.3f", a - b}')"
    add99="$(awk -v a="$r_p99" -v b="$d_p99" 'BEGIN {printf "%.3f", a - b}')"
    ratio="$(awk -v a="$r_hub_cpu" -v b="$d_sim_cpu" 'BEGIN {printf "%.2f", a / b}')"
    rows+=("| $connections | $d_rps | $r_rps | $d_p50 | $r_p50 | **$add50** | $d_p99 | $r_p99 | **$add99** | $d_sim_cpu | $r_hub_cpu | **$ratio** |")
done

cat <<MD
## Running actions

\`scripts/bench-rpc.sh\` (DURATION=$DURATION per row), run on $(date -u +%Y-%m-%d): \`front_list_conversations\`
(\`limit\` 25) through \`POST /actions/rpc\` against a direct \`GET /conversations?limit=25\` to the
simulator (\`--rpm 0 --burst 0\`), both with wrk in the same run (release build, SQLite, in-process
pacer, \`RUST_LOG=warn\`). Added latency = RPC minus direct. CPU per call = (utime + stime) of the
process during the run, divided by the requests wrk completed: the simulator's in the direct run,
the hub's in the RPC run.

| connections | direct req/s | RPC req/s | direct p50 (ms) | RPC p50 (ms) | added p50 (ms) | direct p99 (ms) | RPC p99 (ms) | added p99 (ms) | sim CPU/call (µs) | hub CPU/call (µs) | hub ÷ sim |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")

Targets (issue 5): added p50 ≤ 0.3 ms and p99 ≤ 1 ms at 1 to 16 connections; hub CPU per call
≤ 1.5× the simulator's.
MD
