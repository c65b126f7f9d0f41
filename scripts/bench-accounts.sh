#!/usr/bin/env bash
# Benchmarks the accounts API with 10,000 linked accounts, on SQLite and on Postgres:
# authenticated GET /accounts/{id}, GET /accounts (first page, 25) and GET /accounts?page_size=100
# on the last page (page 100, the deepest OFFSET), each with wrk: requests per second, p50, p99.
#
# Everything runs on this machine: a release build of `actionhub serve` on 127.0.0.1 and wrk
# beside it (they share the cores). The 10,000 accounts are written straight through the store
# (crates/store/examples/seed_accounts.rs), not verified with Front one by one.
#
# Environment:
#   BENCH_DURATION     seconds per measurement (default 15)
#   BENCH_CONNECTIONS  wrk connections (default 32); wrk threads: 2
#   BENCH_ACCOUNTS     accounts to seed (default 10000)
#   BENCH_POSTGRES_URL administrative Postgres URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   BENCH_BACKENDS     "sqlite postgres" (default) or one of them
#   CARGO_TARGET_DIR   where cargo builds (default target)
# Prints a Markdown table on stdout; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${BENCH_DURATION:-15}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
ACCOUNTS="${BENCH_ACCOUNTS:-10000}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
note() { printf '== %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
  note "installing wrk"
  apt-get update -qq >&2 && apt-get install -y -qq wrk >&2
fi

note "building (release)"
cargo build --release --locked -p actionhub -p actionhub-store --bin actionhub --example seed_accounts >&2
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/actionhub"
SEED="$TARGET/release/examples/seed_accounts"

WORK="$(mktemp -d)"
SERVER_PID=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export ACTIONHUB_MASTER_KEY="1:$(head -c 32 /dev/urandom | base64)"
export ACTIONHUB_DATA_DIR="$WORK/data"
# Tokens are never verified here (the accounts are seeded); point Front somewhere harmless.
export ACTIONHUB_FRONT_BASE_URL="http://127.0.0.1:9"
unset ACTIONHUB_PUBLIC_URL ACTIONHUB_BIND

# wrk's output → "rps p50 p99" (latencies as wrk prints them, e.g. 1.23ms).
measure() {
  local url="$1" auth="$2" out
  out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Basic $auth" "$url")"
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$out" >&2
    echo "bench-accounts.sh: $url answered non-2xx responses" >&2
    exit 1
  fi
  local rps p50 p99
  rps="$(echo "$out" | awk '/^Requests\/sec:/ {printf "%d", $2}')"
  p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
  echo "$rps $p50 $p99"
}

echo "| backend | request | requests/s | p50 | p99 |"
echo "|---|---|---:|---:|---:|"
for backend in $BACKENDS; do
  case "$backend" in
    sqlite) DB_URL="sqlite://$WORK/bench.db" ;;
    postgres)
      PG_DB="actionhub_bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
      psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
      DB_URL="${PG_ADMIN%/*}/$PG_DB"
      ;;
    *) echo "bench-accounts.sh: unknown backend $backend" >&2; exit 2 ;;
  esac
  export ACTIONHUB_DATABASE_URL="$DB_URL"
  note "$backend: seeding $ACCOUNTS accounts"
  started=$(date +%s)
  KEY="$("$BIN" keys create --name bench)"
  ACCOUNT="$("$SEED" "$DB_URL" "$ACCOUNTS")"
  note "$backend: seeded in $(( $(date +%s) - started ))s"
  AUTH="$(printf '%s:' "$KEY" | base64 -w0)"

  PORT=$(( 20000 + RANDOM % 20000 ))
  RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" 2>"$WORK/serve-$backend.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  BASE="http://127.0.0.1:$PORT"
  count="$(curl -fsS -u "$KEY:" "$BASE/accounts?page_size=100&page=$(( ACCOUNTS / 100 ))" | grep -o '"id":"acc_' | wc -l)"
  [ "$count" -gt 0 ] || { echo "bench-accounts.sh: the last page is empty" >&2; exit 1; }

  for spec in "GET /accounts/{id}|$BASE/accounts/$ACCOUNT" \
              "GET /accounts (page 1, 25)|$BASE/accounts" \
              "GET /accounts?page_size=100&page=$(( ACCOUNTS / 100 ))|$BASE/accounts?page_size=100&page=$(( ACCOUNTS / 100 ))"; do
    label="${spec%%|*}"; url="${spec#*|}"
    note "$backend: $label"
    read -r rps p50 p99 <<<"$(measure "$url" "$AUTH")"
    echo "| $backend | \`$label\` | $rps | $p50 | $p99 |"
  done

  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  if [ "$backend" = postgres ]; then
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null; PG_DB=""
  fi
done
