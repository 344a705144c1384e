#!/usr/bin/env bash
# Benchmark `faultline serve` end to end on this machine.
#
#   bench/run.sh                                   # default scenarios (see below)
#   bench/run.sh "--concurrency 16" "--rate 2000"  # one scenario per argument (extra bench flags)
#
# For every scenario: start a fresh server on 127.0.0.1:$PORT with an empty temporary data dir,
# read the DSN it prints (a line containing `DSN: http://…`), measure its idle RSS, run
# faultline-bench with --server-pid and --data-dir, print the figures, stop the server (by its PID)
# and remove the temporary directory.
#
# Environment: PORT (18100), DURATION (20s, unless a scenario passes --duration), RESULTS_DIR (if
# set, each scenario's JSON goes to $RESULTS_DIR/scenario-N.json), SKIP_BUILD=1, CARGO_TARGET_DIR,
# FAULTLINE_BIN / BENCH_BIN (use other binaries, e.g. a stub server).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FAULTLINE=${FAULTLINE_BIN:-$TARGET/release/faultline}
BENCH=${BENCH_BIN:-$TARGET/release/faultline-bench}
PORT=${PORT:-18100}
DURATION=${DURATION:-20s}
RESULTS_DIR=${RESULTS_DIR:-}

if [ $# -gt 0 ]; then
  SCENARIOS=("$@")
else
  SCENARIOS=(
    "--concurrency 64"                 # closed loop: how fast can it go
    "--rate 1000 --concurrency 64"     # open loop: latency at a steady 1000 events/s
  )
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -p faultline -p faultline-bench)
fi

SERVER_PID=""
DATA_DIR=""
LOG=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server $SERVER_PID did not stop on SIGTERM; sending SIGKILL" >&2
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
  [ -n "$LOG" ] && rm -f "$LOG"
  DATA_DIR=""
  LOG=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

start_server() {
  DATA_DIR=$(mktemp -d)
  LOG=$(mktemp)
  "$FAULTLINE" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA_DIR" >"$LOG" 2>&1 &
  SERVER_PID=$!
  DSN=""
  for _ in $(seq 1 300); do # up to 30 s
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "faultline serve exited early; its output:" >&2
      cat "$LOG" >&2
      exit 1
    fi
    DSN=$(sed -n 's/.*DSN: *\(https\?:\/\/[^[:space:]"]*\).*/\1/p' "$LOG" | head -n 1)
    if [ -n "$DSN" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "no DSN line / no listener on 127.0.0.1:$PORT after 30 s; server output:" >&2
  cat "$LOG" >&2
  exit 1
}

n=0
for scenario in "${SCENARIOS[@]}"; do
  n=$((n + 1))
  read -r -a extra <<<"$scenario"
  args=(--url "http://127.0.0.1:$PORT" --corpus "$ROOT/bench/corpus")
  case " $scenario " in *" --duration "*) ;; *) args+=(--duration "$DURATION") ;; esac
  if [ -n "$RESULTS_DIR" ]; then
    mkdir -p "$RESULTS_DIR"
    args+=(--json-out "$RESULTS_DIR/scenario-$n.json")
  fi

  start_server
  echo "== scenario $n: ${scenario:-defaults} (server pid $SERVER_PID, DSN $DSN)"
  "$BENCH" --idle-rss --server-pid "$SERVER_PID"
  "$BENCH" "${args[@]}" --dsn "$DSN" --server-pid "$SERVER_PID" --data-dir "$DATA_DIR" "${extra[@]}"
  stop_server
  echo
done
