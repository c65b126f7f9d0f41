#!/usr/bin/env bash
# Benchmarks the Front simulator (`actionhub sim`) with wrk: requests per second and p50/p99
# latency for GET /me, GET /conversations?limit=25 and GET /conversations/{id}, at 1 and 16
# connections, with rate limits off. Prints a Markdown section for BENCHMARKS.md on stdout;
# progress goes to stderr. Only talks to 127.0.0.1.
#
# Usage: scripts/bench-sim.sh            (DURATION=10s scripts/bench-sim.sh for longer runs)
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION="${DURATION:-5s}"
TOKEN="bench-token"

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package)..." >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq wrk >&2
fi

echo "building the release binary..." >&2
cargo build --release --quiet -p actionhub

work="$(mktemp -d)"
"${CARGO_TARGET_DIR:-target}/release/actionhub" sim --bind 127.0.0.1:0 --rpm 0 --burst 0 --token "$TOKEN" \
    >"$work/url" 2>"$work/log" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 100); do
    [ -s "$work/url" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.1
done
url="$(head -n1 "$work/url")"
[ -n "$url" ] || { echo "the simulator did not print its URL" >&2; cat "$work/log" >&2; exit 1; }

conversation="$(curl -fsS -H "Authorization: Bearer $TOKEN" "$url/conversations?limit=1" \
    | grep -o '"id":"cnv_[a-z0-9]*"' | head -n1 | cut -d'"' -f4)"
[ -n "$conversation" ] || { echo "could not read a conversation id" >&2; exit 1; }

# wrk's latency figures come as e.g. 812.00us, 1.21ms or 1.02s: convert to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n
    }'
}

rows=()
for path in "/me" "/conversations?limit=25" "/conversations/$conversation"; do
    for connections in 1 16; do
        threads=$(( connections < 2 ? 1 : 2 ))
        echo "wrk: GET $path, $connections connection(s), $DURATION..." >&2
        out="$(wrk -t"$threads" -c"$connections" -d"$DURATION" --latency \
            -H "Authorization: Bearer $TOKEN" "$url$path")"
        if grep -q "Non-2xx" <<<"$out"; then
            echo "$out" >&2
            echo "error: GET $path answered non-2xx during the run" >&2
            exit 1
        fi
        rps="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")"
        p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
        p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
        shown_path="${path/$conversation/\{id\}}"
        rows+=("| \`GET $shown_path\` | $connections | $rps | $p50 | $p99 |")
    done
done

cat <<MARKDOWN
## Front simulator

\`scripts/bench-sim.sh\` (DURATION=$DURATION per row), run on $(date -u +%Y-%m-%d): \`actionhub sim --rpm 0 --burst 0\`
(release build, default seed) measured with \`wrk -t1 -c1\` and \`wrk -t2 -c16\` (\`--latency\`) on the same
machine ($(nproc) cores, $(uname -m)), so wrk and the simulator share the CPUs.

| request | connections | requests/s | p50 (ms) | p99 (ms) |
|---|---:|---:|---:|---:|
$(printf '%s\n' "${rows[@]}")
MARKDOWN
