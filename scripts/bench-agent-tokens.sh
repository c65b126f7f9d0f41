#!/usr/bin/env bash
# What an agent reads over MCP, compact against full, and what a tools/call costs the hub
# against POST /actions/rpc (issue 16): runs scripts/bench-agent-tokens.py against a hub and a
# simulator started here on free ports (SQLite, RUST_LOG=warn, `sim --rpm 0 --burst 0`).
# Prints Markdown tables on stdout; progress on stderr. Only talks to 127.0.0.1.
#
# Installs the pinned tiktoken (the tokenizer) and quicktok-v1 (which ships the o200k_base
# vocabulary that tiktoken would otherwise download) into the repo's .venv, as
# scripts/test-python.sh does.
#
# Environment:
#   ACTIONHUB_BIN     the binary to run (default: built here, debug; PROFILE=release builds
#                     and runs a release binary)
#   CALLS, ROUNDS     calls per CPU measurement (default 1000) and rounds (default 3)
#   CARGO_TARGET_DIR  where cargo builds (default target)
set -euo pipefail
cd "$(dirname "$0")/.."

FRONT_TOKEN="bench-token"
note() { printf '== %s\n' "$*" >&2; }

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check tiktoken==0.14.0 quicktok-v1==0.4.0 >&2

if [ -z "${ACTIONHUB_BIN:-}" ]; then
  case "${PROFILE:-debug}" in
    release) cargo build --release --locked -p actionhub --bin actionhub >&2
             ACTIONHUB_BIN="${CARGO_TARGET_DIR:-target}/release/actionhub" ;;
    *)       cargo build --locked -p actionhub --bin actionhub >&2
             ACTIONHUB_BIN="${CARGO_TARGET_DIR:-target}/debug/actionhub" ;;
  esac
fi
BIN="$ACTIONHUB_BIN"

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
  echo "bench-agent-tokens.sh: $1 did not answer" >&2
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

API_KEY="$("$BIN" keys create --name bench 2>/dev/null)"
ACCOUNT_ID="$("$BIN" accounts link --token "$FRONT_TOKEN" 2>/dev/null)"

HUB_PORT="$(free_port)"
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$HUB_PORT" 2>"$WORK/serve.log" &
HUB_PID=$!
PIDS+=("$HUB_PID")
HUB_URL="http://127.0.0.1:$HUB_PORT"
wait_until "$HUB_URL/healthz"

note "binary: $BIN"
HUB_URL="$HUB_URL" HUB_PID="$HUB_PID" API_KEY="$API_KEY" ACCOUNT_ID="$ACCOUNT_ID" \
  .venv/bin/python scripts/bench-agent-tokens.py
