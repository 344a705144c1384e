#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, the store conformance suite on SQLite and PostgreSQL,
# integration, Rust SDK, kill -9 durability, two nodes on one PostgreSQL) and the compatibility
# suite that drives the real Python sentry-sdk and @sentry/node against the server; then the
# integration and compatibility suites again with every server on PostgreSQL; then the browser
# tests of the web UI (Debian chromium driven by playwright-core) on SQLite and on PostgreSQL.
#
# PostgreSQL must accept connections on 127.0.0.1:5432 as user postgres (trust auth; override
# with FAULTLINE_TEST_POSTGRES); each test creates its own database and drops it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && [ -z "${FAULTLINE_TEST_POSTGRES:-}" ]; then
  echo "PostgreSQL is not accepting connections on 127.0.0.1:5432; the tests need it (.ci/run starts it)" >&2
  exit 1
fi

echo "==> installing the real SDK clients (Python sentry-sdk, @sentry/node) and playwright-core"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
(cd tests/compat/node && npm install --silent --no-audit --no-fund >/dev/null)
(cd tests/browser && npm install --silent --no-audit --no-fund >/dev/null)

echo "==> format, lints, and the pure crates' dependency rule"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
for crate in faultline-protocol faultline-grouping; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -E '^(tokio|tokio-postgres|deadpool-postgres|axum|hyper|rusqlite|sqlx|reqwest) ' >/dev/null; then
    echo "$crate must stay pure (no async runtime, HTTP or SQL in its dependencies)" >&2
    exit 1
  fi
done

BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/faultline"

echo "==> cargo test (workspace)"
cargo build --quiet --bin faultline
cargo test --workspace --quiet

echo "==> integration tests again, every server on PostgreSQL"
FAULTLINE_TEST_BACKEND=postgres cargo test -p faultline --test it --quiet

echo "==> compatibility suite (real SDKs against a real server)"
FAULTLINE_BIN="$BIN" .venv/bin/python -m pytest -q tests/compat

echo "==> compatibility suite again, every server on PostgreSQL"
FAULTLINE_TEST_BACKEND=postgres FAULTLINE_BIN="$BIN" \
  .venv/bin/python -m pytest -q tests/compat

echo "==> browser tests (Debian chromium, playwright-core, real Python sentry-sdk)"
(cd tests/browser && FAULTLINE_BIN="$BIN" node --test --test-concurrency=1 ui.test.mjs)

echo "==> browser tests again, the server on PostgreSQL"
(cd tests/browser && FAULTLINE_TEST_BACKEND=postgres FAULTLINE_BIN="$BIN" \
  node --test --test-concurrency=1 ui.test.mjs)

echo "==> all tests passed"
