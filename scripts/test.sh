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

echo "==> format, lints, and the pure crates' dependency rule"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
for crate in faultline-protocol faultline-grouping; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -E '^(tokio|axum|hyper|rusqlite|sqlx|reqwest) ' >/dev/null; then
    echo "$crate must stay pure (no async runtime, HTTP or SQL in its dependencies)" >&2
    exit 1
  fi
done

echo "==> cargo test (workspace)"
cargo build --quiet --bin faultline
cargo test --workspace --quiet

echo "==> compatibility suite (real SDKs against a real server)"
FAULTLINE_BIN="$PWD/target/debug/faultline" .venv/bin/python -m pytest -q tests/compat

echo "==> all tests passed"
