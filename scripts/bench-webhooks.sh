#!/usr/bin/env bash
# Benchmarks webhooks (issue 14) on a release build: write→delivery latency at the default poll
# settings and with --events-poll-secs 1, delivery throughput to a local receiver, and events
# followed per minute against the budget share. scripts/bench-webhooks.py runs the `actionhub`
# binary's simulator (`actionhub sim`) and hub (`actionhub serve`) with a receiver on loopback
# (python3's standard library only); each scenario starts fresh ones.
#
# Prints a Markdown report for BENCHMARKS.md on stdout; progress goes to stderr. Takes about
# twelve minutes (the default poll interval is 15 s, and the budget is measured over minutes);
# --quick takes about two and only checks that it runs. Only talks to 127.0.0.1. ACTIONHUB_BIN
# points it at another binary.
#
# Usage: scripts/bench-webhooks.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${ACTIONHUB_BIN:-}" ]; then
  cargo build --locked --quiet --release -p actionhub
  ACTIONHUB_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/actionhub"
fi
exec python3 scripts/bench-webhooks.py "$ACTIONHUB_BIN" "$@"
