#!/usr/bin/env bash
# Benchmarks pacing: how close the hub's calls come to the most the simulator's rate limits allow,
# with Front's per-second burst limit on (5 a second per resource type) and the minute budget.
#
# Each batch is one of the pacing tests (crates/engine/tests/pacing.rs, the window-budget test
# of crates/server/tests/rpc.rs and the two-process test of crates/cli/tests/shared_budget.rs);
# each prints its time, the least time the simulator's limits allow and their ratio. Calls per
# second achieved, as a share of the limit, is 1 / ratio. The tests fail if any call meets
# Front's 429; they never assert the timings this script reports.
#
# Needs Redis on 127.0.0.1:6379 and Postgres on 127.0.0.1:5432 (scripts/test.sh starts both).
# Prints a Markdown table for BENCHMARKS.md on stdout; progress goes to stderr. Only talks to
# 127.0.0.1.
#
# Usage: scripts/bench-pacing.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "running the pacing tests (debug build: pacing waits on Front's limits, not on the CPU)" >&2
for target in "-p actionhub-engine --test pacing" "-p actionhub-server --test rpc" \
  "-p actionhub --test shared_budget"; do
  # shellcheck disable=SC2086 # the target is words on purpose
  cargo test --locked $target -- --nocapture --test-threads=1 >>"$log" 2>&1 || {
    cat "$log" >&2
    echo "scripts/bench-pacing.sh: a pacing test failed" >&2
    exit 1
  }
done

echo "| batch | time (s) | least the limits allow (s) | ratio | share of the limit achieved |"
echo "|---|---:|---:|---:|---:|"
# Lines like "NAME: 19.45 s, least the limits allow 19.0 s, ratio 1.024, 0 of Front's refusals
# absorbed" and "shared budget: 200 calls over 2 hubs in 19.60 s; theoretical minimum 18.0 s;
# ratio 1.089".
# With --nocapture a test's report follows its "test NAME ... " on the same line.
grep -E 'ratio [0-9.]+' "$log" | sed -E 's/^test [^ ]+ \.\.\. //' | while IFS= read -r line; do
  name=${line%%:*}
  took=$(grep -oE '[0-9]+\.[0-9]+ s' <<<"$line" | head -n1 | cut -d' ' -f1)
  least=$(grep -oE '[0-9]+\.[0-9]+ s' <<<"$line" | sed -n 2p | cut -d' ' -f1)
  ratio=$(grep -oE 'ratio [0-9.]+' <<<"$line" | cut -d' ' -f2)
  share=$(awk -v r="$ratio" 'BEGIN { printf "%.0f%%", 100 / r }')
  echo "| $name | $took | $least | $ratio | $share |"
done
grep -oE 'first come, first served: .*' "$log" | sed -E 's/^first come, first served: /\nFirst come, first served: /' || true
