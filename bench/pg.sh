#!/usr/bin/env bash
# Benchmark `faultline serve` on PostgreSQL: NODES servers (1 or 2) sharing one fresh database,
# each loaded by its own faultline-bench with CONCURRENCY/NODES workers, all at once. Sum the
# nodes' accepted and stored events/s for the total; `loss` must be 0 on every node.
#
#   bench/pg.sh                          # NODES=1, closed loop, concurrency 64
#   NODES=2 bench/pg.sh                  # two nodes on one database
#   NODES=2 bench/pg.sh --rate 500       # extra bench flags (per node: halve a total --rate)
#
# Environment: NODES (1), CONCURRENCY (64, split across nodes), DURATION (20s), PORT (18200; node
# i listens on PORT+i), PG_SERVER (postgres://postgres@127.0.0.1:5432/postgres), POOL (16
# connections per node), RESULTS_DIR (each node's JSON), SKIP_BUILD=1, CARGO_TARGET_DIR.
# The database is created fresh and dropped afterwards; servers are stopped by their PIDs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FAULTLINE=${FAULTLINE_BIN:-$TARGET/release/faultline}
BENCH=${BENCH_BIN:-$TARGET/release/faultline-bench}
NODES=${NODES:-1}
CONCURRENCY=${CONCURRENCY:-64}
DURATION=${DURATION:-20s}
PORT=${PORT:-18200}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}
POOL=${POOL:-16}
RESULTS_DIR=${RESULTS_DIR:-}
DB="faultline_bench_$$"
DB_URL="${PG_SERVER%/*}/$DB"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -p faultline -p faultline-bench)
fi

PIDS=()
LOGS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for log in "${LOGS[@]}"; do rm -f "$log"; done
  psql "$PG_SERVER" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql "$PG_SERVER" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $DB"
DSNS=()
for i in $(seq 0 $((NODES - 1))); do
  log=$(mktemp)
  LOGS+=("$log")
  FAULTLINE_DATABASE_URL="$DB_URL" FAULTLINE_DATABASE_POOL="$POOL" \
    "$FAULTLINE" serve --listen "127.0.0.1:$((PORT + i))" >"$log" 2>&1 &
  PIDS+=($!)
  dsn=""
  for _ in $(seq 1 300); do
    dsn=$(sed -n 's/.*DSN: *\(https\?:\/\/[^[:space:]"]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$dsn" ] && (exec 3<>"/dev/tcp/127.0.0.1/$((PORT + i))") 2>/dev/null && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$dsn" ] || { echo "node $i printed no DSN" >&2; cat "$log" >&2; exit 1; }
  DSNS+=("$dsn")
done

echo "== PostgreSQL, $NODES node(s), concurrency $CONCURRENCY in total, database $DB"
BENCH_PIDS=()
for i in $(seq 0 $((NODES - 1))); do
  args=(--url "http://127.0.0.1:$((PORT + i))" --dsn "${DSNS[$i]}" --corpus "$ROOT/bench/corpus"
        --concurrency $((CONCURRENCY / NODES)) --duration "$DURATION" --server-pid "${PIDS[$i]}")
  if [ -n "$RESULTS_DIR" ]; then
    mkdir -p "$RESULTS_DIR"
    args+=(--json-out "$RESULTS_DIR/pg-${NODES}nodes-node$i.json")
  fi
  "$BENCH" "${args[@]}" "$@" >"${LOGS[$i]}.bench" 2>&1 &
  BENCH_PIDS+=($!)
done
status=0
for i in "${!BENCH_PIDS[@]}"; do
  wait "${BENCH_PIDS[$i]}" || status=1
  echo "-- node $i (http://127.0.0.1:$((PORT + i)))"
  cat "${LOGS[$i]}.bench"
  rm -f "${LOGS[$i]}.bench"
done
echo "-- database size: $(psql "$PG_SERVER" -tAc "SELECT pg_size_pretty(pg_database_size('$DB'))")"
exit $status
