#!/usr/bin/env bash
# Runs the tests that drive actionhub with real clients in Python (StackOne's `stackone-ai`,
# the official MCP client, the official Standard Webhooks verifier): creates .venv with the
# pinned tests/python/requirements.txt, builds the binary, and runs pytest on tests/python.
# ACTIONHUB_BIN points the tests at another binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

if [ -z "${ACTIONHUB_BIN:-}" ]; then
    cargo build --quiet -p actionhub
    export ACTIONHUB_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/actionhub"
fi
exec .venv/bin/python -m pytest -q tests/python "$@"
