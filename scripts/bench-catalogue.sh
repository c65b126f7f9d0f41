#!/usr/bin/env bash
# Benchmarks what the full catalogue (every Front operation) costs against its 52 core actions,
# in one run: loading the catalogue (the full one and the same data cut to the core actions),
# the hub's start-up (process start to the first /healthz answer), MCP `tools/list` (the default
# 52 tools against `toolset=all`) and `GET /actions` pages. Prints Markdown tables for
# BENCHMARKS.md on stdout; progress on stderr. Only talks to 127.0.0.1.
#
# A release build of `actionhub serve` (SQLite, RUST_LOG=warn) and `actionhub sim --rpm 0
# --burst 0` run beside wrk on this machine and share its cores.
#
# Environment:
#   DURATION          per wrk measurement (default 5s)
#   STARTS            hub start-ups timed (default 10)
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
export ACTIONHUB_DATA_DIR="$WORK/data"
export ACTIONHUB_DATABASE_URL="sqlite://$WORK/hub.db"
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
KEY="$("$BIN" keys create --name bench 2>/dev/null)"
ACCOUNT="$("$BIN" accounts link --token "$FRONT_TOKEN" 2>/dev/null)"
AUTH="Basic $(printf '%s:' "$KEY" | base64 -w0)"

note "hub start-up, $STARTS times"
for _ in $(seq "$STARTS"); do
  port="$(free_port)"
  started="$(date +%s%N)"
  RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$port" 2>>"$WORK/starts.log" &
  pid=$!
  wait_until "http://127.0.0.1:$port/healthz"
  echo $(( ($(date +%s%N) - started) / 1000 ))
  kill "$pid"; wait "$pid" 2>/dev/null || true
done >"$WORK/starts"
echo "| hub start-up (process start to the first \`/healthz\` answer) | median (ms) | fastest (ms) |"
echo "|---|---:|---:|"
awk -v m="$(median <"$WORK/starts")" -v f="$(sort -n "$WORK/starts" | head -1)" \
  'BEGIN { printf "| %s | %.1f | %.1f |\n", "`actionhub serve`, SQLite, full catalogue", m / 1000, f / 1000 }'
echo

HUB_PORT="$(free_port)"
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$HUB_PORT" 2>"$WORK/serve.log" &
PIDS+=($!)
BASE="http://127.0.0.1:$HUB_PORT"
wait_until "$BASE/healthz"

LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
# A wrk script for METHOD with the hub's headers (and BODY when given).
lua() { # NAME METHOD [BODY]
  {
    echo "wrk.method = \"$2\""
    [ -n "${3:-}" ] && echo "wrk.body = [[$3]]"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    echo 'wrk.headers["Accept"] = "application/json, text/event-stream"'
    echo "wrk.headers[\"Authorization\"] = \"$AUTH\""
    echo "wrk.headers[\"x-account-id\"] = \"$ACCOUNT\""
  } >"$WORK/$1.lua"
  echo "$WORK/$1.lua"
}
fetch() { # METHOD PATH [BODY]
  curl -fsS -X "$1" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "Authorization: $AUTH" -H "x-account-id: $ACCOUNT" "$BASE$2" ${3:+-d "$3"}
}
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n
  }'
}

echo "| request | items | answer size | requests/s (1 connection) | p50 (ms) | p99 (ms) |"
echo "|---|---:|---:|---:|---:|---:|"
for spec in "MCP \`tools/list\`, default (core)|POST|/mcp|$LIST|\"name\":\"front_" \
            "MCP \`tools/list\`, \`toolset=all\`|POST|/mcp?toolset=all|$LIST|\"name\":\"front_" \
            "\`GET /actions?include=action_details&page_size=52\`|GET|/actions?include=action_details&page_size=52||\"label\":\"" \
            "\`GET /actions?include=action_details&page_size=100\`|GET|/actions?include=action_details&page_size=100||\"label\":\""; do
  IFS='|' read -r label method path body needle <<<"$spec"
  answer="$(fetch "$method" "$path" "$body")"
  items="$(grep -o "$needle" <<<"$answer" | wc -l)"
  [ "$items" -gt 0 ] || { echo "bench-catalogue.sh: $label answered no items: ${answer:0:300}" >&2; exit 1; }
  script="$(lua bench "$method" "$body")"
  note "wrk: $label, $DURATION"
  out="$(wrk -t1 -c1 -d"$DURATION" --latency -s "$script" "$BASE$path")"
  if grep -q "Non-2xx" <<<"$out"; then
    echo "$out" >&2
    echo "bench-catalogue.sh: $label answered non-2xx during the run" >&2
    exit 1
  fi
  rps="$(awk '/^Requests\/sec:/ {printf "%d", $2}' <<<"$out")"
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  echo "| $label | $items | $(( ${#answer} / 1024 )) KiB | $rps | $p50 | $p99 |"
done
