#!/usr/bin/env bash
# Browser tests of the Hub pages: installs Debian's Chromium and the pinned npm packages
# (playwright-core, axe-core) if missing, builds actionhub, and runs tests/browser with node's
# test runner. Screenshots go to $ARTIFACTS_DIR/screenshots (default: artifacts/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Chromium (Debian package)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
  echo "== installing Node.js (Debian package)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

(cd tests/browser && npm ci --no-audit --no-fund --silent)
cargo build --locked --bin actionhub
export ACTIONHUB_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/actionhub"
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$PWD/artifacts}"
cd tests/browser
node --test --test-concurrency=1 hub.test.mjs
