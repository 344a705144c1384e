#!/usr/bin/env bash
# Server-side render time of the web UI's pages for a project with many events.
#
#   bench/ui.sh            # 100,000 events, then every page timed 20 times
#
# Starts a fresh release server on 127.0.0.1:$PORT with an empty temporary data dir, fills it
# with faultline-bench (envelopes captured from real SDKs) until $EVENTS are stored, signs in
# with curl, and times each page $RUNS times (curl's time to the last byte on loopback, so the
# figure includes HTTP and is an upper bound on the render time). Prints median and worst per
# page. Environment: PORT (18200), EVENTS (100000), RUNS (20), SKIP_BUILD=1, CARGO_TARGET_DIR,
# DATABASE_URL (run the server on that PostgreSQL database instead of SQLite).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FAULTLINE=$TARGET/release/faultline
BENCH=$TARGET/release/faultline-bench
PORT=${PORT:-18200}
EVENTS=${EVENTS:-100000}
RUNS=${RUNS:-20}
BASE="http://127.0.0.1:$PORT"
PASSWORD=ui-bench-password

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$ROOT" && cargo build --release -p faultline -p faultline-bench)
fi

DATA_DIR=$(mktemp -d)
JAR=$(mktemp)
LOG=$(mktemp)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA_DIR" "$JAR" "$LOG"
}
trap cleanup EXIT

db_args=()
[ -n "${DATABASE_URL:-}" ] && db_args=(--database-url "$DATABASE_URL")
FAULTLINE_ADMIN_PASSWORD=$PASSWORD "$FAULTLINE" serve --listen "127.0.0.1:$PORT" \
  --data-dir "$DATA_DIR" "${db_args[@]}" >"$LOG" 2>&1 &
SERVER_PID=$!
DSN=""
for _ in $(seq 1 300); do
  DSN=$(sed -n 's/.*DSN: *\(http:\/\/[^[:space:]]*\).*/\1/p' "$LOG" | head -n 1)
  [ -n "$DSN" ] && break
  sleep 0.1
done
[ -n "$DSN" ] || { cat "$LOG" >&2; exit 1; }

stored() { curl -s "$BASE/metrics" | awk '/^faultline_events_stored_total/ {print $2}'; }
echo "== filling with $EVENTS events"
while [ "$(stored)" -lt "$EVENTS" ]; do
  left=$((EVENTS - $(stored)))
  secs=$(( left / 6000 + 1 ))
  "$BENCH" --url "$BASE" --dsn "$DSN" --corpus "$ROOT/bench/corpus" --concurrency 64 \
    --duration "${secs}s" >/dev/null
done
echo "stored: $(stored) events"

# Sign in: the login form's CSRF cookie, then the form.
csrf=$(curl -s -c "$JAR" "$BASE/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1)
curl -s -b "$JAR" -c "$JAR" -o /dev/null -d "csrf=$csrf&email=admin%40localhost&password=$PASSWORD&next=%2Fissues" "$BASE/login"

top=$(curl -s -b "$JAR" "$BASE/issues?sort=events" | sed -n 's/.*href="\/issues\/\([0-9]*\)" class="issue-title".*/\1/p' | head -n 1)
[ -n "$top" ] || { echo "sign-in failed" >&2; exit 1; }
pages=(
  "/issues"
  "/issues?sort=events&period=90d"
  "/issues?tab=all&query=level:error%20environment:production%20TypeError"
  "/issues/$top"
  "/issues/$top?range=90d"
  "/services"
  "/releases"
  "/agents"
  "/settings"
)
printf '%-70s %10s %10s\n' page "median ms" "worst ms"
for p in "${pages[@]}"; do
  times=()
  for _ in $(seq 1 "$RUNS"); do
    code_time=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code} %{time_total}' "$BASE$p")
    [ "${code_time%% *}" = 200 ] || { echo "$p answered ${code_time%% *}" >&2; exit 1; }
    times+=("${code_time#* }")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v p="$p" '{a[NR]=$1} END {printf "%-70s %10.1f %10.1f\n", p, a[int((NR+1)/2)]*1000, a[NR]*1000}'
done
