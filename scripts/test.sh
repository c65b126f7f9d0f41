#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting, lints and all test suites.
# It installs or starts what the tests need and says what it is doing on stderr.
#
# Environment:
#   FRONT_OPENAPI  path to Front's full core-api.json (default: ../shared/front/core-api.json beside
#                  the repository, when it is there). With it, the contract tests check against the
#                  full spec, and the facts committed for a fresh clone
#                  (crates/testkit/data/front-core-api.facts.json) must still be what it gives.
#                  Without it, the tests read those committed facts.
set -euo pipefail
cd "$(dirname "$0")/.."

note() { printf '\n== %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "scripts/test.sh: cargo is not installed; install the Rust toolchain with rustup first" >&2
  exit 1
fi

FACTS=crates/testkit/data/front-core-api.facts.json
if [ -n "${FRONT_OPENAPI:-}" ] && [ ! -f "$FRONT_OPENAPI" ]; then
  echo "scripts/test.sh: FRONT_OPENAPI=$FRONT_OPENAPI does not exist" >&2
  exit 1
fi
FRONT_OPENAPI="${FRONT_OPENAPI:-$(cd .. && pwd)/shared/front/core-api.json}"
if [ -f "$FRONT_OPENAPI" ]; then
  export FRONT_OPENAPI
  note "Front's spec: $FRONT_OPENAPI (checking that $FACTS is derived from it)"
  if ! python3 scripts/derive-front-facts.py "$FRONT_OPENAPI" - | cmp -s - "$FACTS"; then
    echo "scripts/test.sh: $FACTS is stale; run scripts/derive-front-facts.py $FRONT_OPENAPI" >&2
    exit 1
  fi
else
  unset FRONT_OPENAPI
  note "Front's spec: the committed facts ($FACTS)"
fi

# The store suite runs against Postgres too; start the machine's server if it is down.
# The suite also reads a Postgres dump (pg_dump) to prove no secret is stored in plaintext.
start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v pg_dump >/dev/null 2>&1; then
    note "installing PostgreSQL"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null
  fi
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
  note "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && return
    sleep 1
  done
  echo "scripts/test.sh: PostgreSQL did not start on 127.0.0.1:5432" >&2
  exit 1
}
start_postgres

# The shared pacing budget across hub processes is tested against Redis.
start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    note "installing Redis"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  note "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return
    sleep 1
  done
  echo "scripts/test.sh: Redis did not start on 127.0.0.1:6379" >&2
  exit 1
}
start_redis

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  note "installing python3-venv"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi

note "formatting (cargo fmt --check)"
cargo fmt --all -- --check

note "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

note "tests (cargo test)"
cargo test --workspace --locked

note "browser tests of the Hub pages (Chromium, playwright-core, axe-core)"
./scripts/test-browser.sh

note "official npm clients: @stackone/hub in Chromium, @stackone/stackone-client-ts, the MCP SDK"
./scripts/test-clients.sh

note "real clients in Python: stackone-ai and the official MCP client (pytest)"
./scripts/test-python.sh

note "MCP conformance suite (npm @modelcontextprotocol/conformance)"
./scripts/test-mcp-conformance.sh
