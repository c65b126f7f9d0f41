#!/usr/bin/env bash
# Official clients against a real hub (tests/clients, node's test runner): StackOne's
# @stackone/hub web component in Chromium on a page of another origin, StackOne's
# @stackone/stackone-client-ts, and the MCP TypeScript SDK over streamable HTTP and stdio.
# Installs Debian's Chromium and Node.js if missing and the pinned npm packages (npm ci in
# tests/clients), builds actionhub, and runs the tests. Each test file starts its own simulator
# and hub on free ports with a temporary database. Screenshots go to
# $ARTIFACTS_DIR/screenshots (default: artifacts/screenshots).
#
# Environment:
#   ACTIONHUB_BIN  the actionhub binary (default: build target/debug/actionhub)
#   CHROMIUM_PATH  the Chromium to drive (default: /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "== installing Chromium (Debian package)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "== installing Node.js (Debian package)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

(cd tests/clients && npm ci --no-audit --no-fund --silent)
if [ -z "${ACTIONHUB_BIN:-}" ]; then
  cargo build --locked --quiet --bin actionhub
  ACTIONHUB_BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/actionhub"
fi
export ACTIONHUB_BIN
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$PWD/artifacts}"
cd tests/clients
node --test --test-concurrency=3 ./*.test.mjs
