#!/usr/bin/env bash
# Benchmarks MCP over streamable HTTP (/mcp) with wrk, in one run against one hub and simulator:
# `tools/list` (the 52 tools), `tools/call` of front_list_conversations (25 per page), and the
# same action through POST /actions/rpc, at 1 connection (latency) and 16 (throughput).
# Requests per second, p50 and p99. Prints a Markdown table for BENCHMARKS.md on stdout;
# progress on stderr. Only talks to 127.0.0.1.
#
# Everything runs on this machine: a release build of `actionhub serve` (SQLite, RUST_LOG=warn)
# and `actionhub sim --rpm 0 --burst 0` (rate limits off, so pacing never waits), with wrk beside
# them; they share the cores.
#
# Environment:
#   DURATION          per measurement (default 10s)
#   CARGO_TARGET_DIR  where cargo builds (default target)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
FRONT_TOKEN="bench-token"
note() { printf '== %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
  note "installing wrk (Debian package)"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi

note "building (release)"
cargo build --release --locked -p actionhub --bin actionhub >&2
BIN="${CARGO_TARGET_DIR:-target}/release/actionhub"

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
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench-mcp.sh: $1 did not answer" >&2
  exit 1
}

for name in $(env | grep -o '^ACTIONHUB_[A-Z_]*' || true); do unset "$name"; done
export ACTIONHUB_DATA_DIR="$WORK/data"
export ACTIONHUB_DATABASE_URL="sqlite://$WORK/hub.db"
export ACTIONHUB_MASTER_KEY="1:$(head -c 32 /dev/urandom | base64)"

SIM_PORT="$(free_port)"
"$BIN" sim --bind "127.0.0.1:$SIM_PORT" --rpm 0 --burst 0 --token "$FRONT_TOKEN" \
  >/dev/null 2>"$WORK/sim.log" &
PIDS+=($!)
export ACTIONHUB_FRONT_BASE_URL="http://127.0.0.1:$SIM_PORT"
wait_until "$ACTIONHUB_FRONT_BASE_URL/me"

KEY="$("$BIN" keys create --name bench 2>/dev/null)"
ACCOUNT="$("$BIN" accounts link --token "$FRONT_TOKEN" 2>/dev/null)"
AUTH="Basic $(printf '%s:' "$KEY" | base64 -w0)"

HUB_PORT="$(free_port)"
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$HUB_PORT" 2>"$WORK/serve.log" &
PIDS+=($!)
BASE="http://127.0.0.1:$HUB_PORT"
wait_until "$BASE/healthz"

LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
CALL='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"front_list_conversations","arguments":{"query":{"limit":25}}}}'
RPC='{"action":"front_list_conversations","query":{"limit":25}}'

# A wrk script that POSTs BODY with the hub's headers.
lua() { # NAME BODY
  cat >"$WORK/$1.lua" <<EOF
wrk.method = "POST"
wrk.body = [[$2]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Authorization"] = "$AUTH"
wrk.headers["x-account-id"] = "$ACCOUNT"
EOF
  echo "$WORK/$1.lua"
}

# Each request once first, checked, so that the figures are for answers that worked.
post() { curl -fsS -X POST -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H "Authorization: $AUTH" -H "x-account-id: $ACCOUNT" "$1" -d "$2"; }
tools="$(post "$BASE/mcp" "$LIST" | grep -o '"name":"front_[a-z_]*"' | wc -l)"
[ "$tools" -eq 52 ] || { echo "bench-mcp.sh: tools/list gave $tools tools" >&2; exit 1; }
post "$BASE/mcp" "$CALL" | grep -q '"isError":false' || { echo "bench-mcp.sh: tools/call failed" >&2; exit 1; }
rpc_items="$(post "$BASE/actions/rpc" "$RPC" | grep -o '"id":"cnv_[a-z0-9]*","' | wc -l)"
[ "$rpc_items" -ge 25 ] || { echo "bench-mcp.sh: /actions/rpc gave $rpc_items conversations" >&2; exit 1; }
call_bytes="$(post "$BASE/mcp" "$CALL" | wc -c)"
rpc_bytes="$(post "$BASE/actions/rpc" "$RPC" | wc -c)"
list_bytes="$(post "$BASE/mcp" "$LIST" | wc -c)"

# wrk's latency figures come as e.g. 812.00us, 1.21ms or 1.02s: convert to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n
  }'
}

echo "| request | answer size | connections | requests/s | p50 (ms) | p99 (ms) |"
echo "|---|---:|---:|---:|---:|---:|"
for spec in "MCP \`tools/list\` (52 tools)|list|$LIST|/mcp|$list_bytes" \
            "MCP \`tools/call\` front_list_conversations (25)|call|$CALL|/mcp|$call_bytes" \
            "\`POST /actions/rpc\` front_list_conversations (25)|rpc|$RPC|/actions/rpc|$rpc_bytes"; do
  IFS='|' read -r label name body path bytes <<<"$spec"
  script="$(lua "$name" "$body")"
  for connections in 1 16; do
    threads=$(( connections < 2 ? 1 : 2 ))
    note "wrk: $label, $connections connection(s), $DURATION"
    out="$(wrk -t"$threads" -c"$connections" -d"$DURATION" --latency -s "$script" "$BASE$path")"
    if grep -q "Non-2xx" <<<"$out"; then
      echo "$out" >&2
      echo "bench-mcp.sh: $label answered non-2xx during the run" >&2
      exit 1
    fi
    rps="$(awk '/^Requests\/sec:/ {printf "%d", $2}' <<<"$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    echo "| $label | $(( bytes / 1024 )) KiB | $connections | $rps | $p50 | $p99 |"
  done
done
