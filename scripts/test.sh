#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, integration, Rust SDK, kill -9 durability) and the
# compatibility suite that drives the real Python sentry-sdk and @sentry/node against the server.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing the real SDK clients (Python sentry-sdk, @sentry/node)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
(cd tests/compat/node && npm install --silent --no-audit --no-fund >/dev/null)

echo "==> cargo test (workspace)"
cargo build --quiet --bin faultline
cargo test --workspace --quiet

echo "==> compatibility suite (real SDKs against a real server)"
FAULTLINE_BIN="$PWD/target/debug/faultline" .venv/bin/python -m pytest -q tests/compat

echo "==> all tests passed"
