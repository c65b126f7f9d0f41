#!/usr/bin/env bash
# Benchmarks what the full catalogue (every Front operation) costs against the 52-action one,
# in one run: loading the catalogue (the full one and the same data cut to the core actions),
# the hub's start-up (process start to the first /healthz answer), MCP `tools/list` (the default
# core tools and `toolset=all`) and the `GET /actions` catalogue. With BASELINE_BIN (an
# `actionhub` built from a commit before the full catalogue, e.g. e2aaa45), the start-up,
# `tools/list` and `/actions` rows are measured for it too, on a database of its own. Prints
# Markdown tables for BENCHMARKS.md on stdout; progress on stderr. Only talks to 127.0.0.1.
#
# A release build of `actionhub serve` (SQLite, RUST_LOG=warn) and `actionhub sim --rpm 0
# --burst 0` run beside wrk on this machine and share its cores.
#
# Environment:
#   DURATION          per wrk measurement (default 5s)
#   STARTS            hub start-ups timed (default 10)
#   BASELINE_BIN      an older actionhub binary to measure beside this one (optional)
#   CARGO_TARGET_DIR  where cargo builds (default target)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-5s}"
STARTS="${STARTS:-10}"
FRONT_TOKEN="bench-token"
note() { printf '== %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
  note "installing wrk (Debian package)"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi

note "building (release)"
cargo build --release --locked -p actionhub --bin actionhub >&2
cargo build --release --locked -p actionhub-catalog --example load_time >&2
TARGET="${CARGO_TARGET_DIR:-target}/release"
BIN="$TARGET/actionhub"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_until() {
  for _ in $(seq 1000); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.005
  done
  echo "bench-catalogue.sh: $1 did not answer" >&2
  exit 1
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for name in $(env | grep -o '^ACTIONHUB_[A-Z_]*' || true); do unset "$name"; done
export ACTIONHUB_MASTER_KEY="1:$(head -c 32 /dev/urandom | base64)"

note "catalogue load"
echo "| catalogue | actions | load, median of 30 (ms) | fastest (ms) |"
echo "|---|---:|---:|---:|"
"$TARGET/examples/load_time" | while read -r name actions median_us min_us; do
  label="$([ "$name" = full ] && echo "full (every operation)" || echo "core only (the seed's 52)")"
  awk -v l="$label" -v a="$actions" -v m="$median_us" -v f="$min_us" \
    'BEGIN { printf "| %s | %d | %.1f | %.1f |\n", l, a, m / 1000, f / 1000 }'
done
echo

SIM_PORT="$(free_port)"
"$BIN" sim --bind "127.0.0.1:$SIM_PORT" --rpm 0 --burst 0 --token "$FRONT_TOKEN" \
  >/dev/null 2>"$WORK/sim.log" &
PIDS+=($!)
export ACTIONHUB_FRONT_BASE_URL="http://127.0.0.1:$SIM_PORT"
wait_until "$ACTIONHUB_FRONT_BASE_URL/me"

to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n
  }'
}

# Gives binary $1 (named $2) a database, a key and a linked account of its own, times its
# start-up, then measures its rows: appends to $WORK/startup.md and $WORK/rows.md.
measure() { # BIN NAME
  local bin="$1" name="$2" data="$WORK/$2"
  mkdir -p "$data"
  export ACTIONHUB_DATA_DIR="$data/data" ACTIONHUB_DATABASE_URL="sqlite://$data/hub.db"
  local key account auth
  key="$("$bin" keys create --name bench 2>/dev/null)"
  account="$("$bin" accounts link --token "$FRONT_TOKEN" 2>/dev/null)"
  auth="Basic $(printf '%s:' "$key" | base64 -w0)"

  note "$name: hub start-up, $STARTS times"
  for _ in $(seq "$STARTS"); do
    local port started pid
    port="$(free_port)"
    started="$(date +%s%N)"
    RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" 2>>"$data/starts.log" &
    pid=$!
    wait_until "http://127.0.0.1:$port/healthz"
    echo $(( ($(date +%s%N) - started) / 1000 ))
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done >"$data/starts"
  awk -v n="$name" -v m="$(median <"$data/starts")" -v f="$(sort -n "$data/starts" | head -1)" \
    'BEGIN { printf "| %s | %.1f | %.1f |\n", n, m / 1000, f / 1000 }' >>"$WORK/startup.md"

  local hub_port base pid
  hub_port="$(free_port)"
  RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$hub_port" 2>"$data/serve.log" &
  pid=$!
  PIDS+=("$pid")
  base="http://127.0.0.1:$hub_port"
  wait_until "$base/healthz"

  local list='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
  for spec in "MCP \`tools/list\`, default|POST|/mcp|$list|\"name\":\"front_" \
              "MCP \`tools/list\`, \`toolset=all\`|POST|/mcp?toolset=all|$list|\"name\":\"front_" \
              "\`GET /actions?include=action_details\` (every action)|GET|/actions?include=action_details||\"schema_type\":\""; do
    IFS='|' read -r label method path body needle <<<"$spec"
    local answer status
    status="$(curl -sS -o "$data/answer" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
      -H 'Accept: application/json, text/event-stream' -H "Authorization: $auth" -H "x-account-id: $account" \
      "$base$path" ${body:+-d "$body"})"
    answer="$(cat "$data/answer")"
    # The baseline knows no toolset: its `tools/list` lists every action already.
    [ "$status" = 200 ] || { note "$name: $label answered $status, skipped"; continue; }
    local items
    items="$(grep -o "$needle" <<<"$answer" | wc -l)"
    {
      echo "wrk.method = \"$method\""
      [ -n "$body" ] && echo "wrk.body = [[$body]]"
      echo 'wrk.headers["Content-Type"] = "application/json"'
      echo 'wrk.headers["Accept"] = "application/json, text/event-stream"'
      echo "wrk.headers[\"Authorization\"] = \"$auth\""
      echo "wrk.headers[\"x-account-id\"] = \"$account\""
    } >"$data/bench.lua"
    note "$name: wrk $label, $DURATION"
    local out
    out="$(wrk -t1 -c1 -d"$DURATION" --latency -s "$data/bench.lua" "$base$path")"
    if grep -q "Non-2xx" <<<"$out"; then
      echo "$out" >&2
      echo "bench-catalogue.sh: $name: $label answered non-2xx during the run" >&2
      exit 1
    fi
    echo "| $name | $label | $items | $(( ${#answer} / 1024 )) KiB | $(awk '/^Requests\/sec:/ {printf "%d", $2}' <<<"$out") | $(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")") | $(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")") |" >>"$WORK/rows.md"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

measure "$BIN" "this build (243 actions)"
[ -n "${BASELINE_BIN:-}" ] && measure "$BASELINE_BIN" "baseline (52 actions)"

echo "| hub start-up (process start to the first \`/healthz\` answer), SQLite | median (ms) | fastest (ms) |"
echo "|---|---:|---:|"
cat "$WORK/startup.md"
echo
echo "| binary | request | items | answer size | requests/s (1 connection) | p50 (ms) | p99 (ms) |"
echo "|---|---|---:|---:|---:|---:|---:|"
cat "$WORK/rows.md"
