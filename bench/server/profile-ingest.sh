#!/usr/bin/env bash
# Where a durable callback's time goes: the release server on a fresh copy of the seeded
# database (`make bench-server` makes it), the ingest load of run.sh, and `perf record`
# (software clock: this VM has no hardware counters) of the server's process meanwhile.
#   bench/server/profile-ingest.sh [BIN]      (default: $CARGO_TARGET_DIR/release/relive)
# Prints the top symbols (self time, all threads), then the same per thread, and the
# callbacks per second wrk saw (perf's sampling costs a few per cent).
# Knobs: BENCH_PERF_SECS (default 15), BENCH_CONNECTIONS (64), BENCH_PERF_CALLGRAPH=1 (DWARF
# call graphs into perf.data, for `perf report --children`).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${1:-$TARGET/release/relive}
SECS=${BENCH_PERF_SECS:-15}
CONNS=${BENCH_CONNECTIONS:-64}
CACHE=bench/.cache/server
SCHEMA=$(ls server/migrations/sqlite/*.sql | wc -l)
SEED_DB=$CACHE/seed-1000000-10000-schema$SCHEMA.db
DIR=$CACHE/profile
KEY=bench-callback-key
[ -f "$SEED_DB" ] || { echo "no $SEED_DB: run make bench-server first" >&2; exit 1; }
rm -rf "$DIR" && mkdir -p "$DIR/media"
cp "$SEED_DB" "$DIR/relive.db"
NO_COLOR=1 "$BIN" --db "$DIR/relive.db" --listen 127.0.0.1:0 --dist dist --media-dir "$DIR/media" \
  --images-dir "$DIR/images" --images-backfill 0 --tencent-callback-key "$KEY" --hook-rate-limit 0 \
  >"$DIR/stdout" 2>"$DIR/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
BASE=""
for _ in $(seq 300); do
  BASE=$(sed -n 's|^Relive is running at \(http://[^/]*\)/.*|\1|p' "$DIR/stdout")
  [ -n "$BASE" ] && break
  sleep 0.1
done
[ -n "$BASE" ] || { cat "$DIR/server.log" >&2; exit 1; }
export BENCH_LUA_DIR=$PWD/bench/server BENCH_STREAMERS=10000
export BENCH_T=$(( $(date +%s) + 10 * 365 * 86400 ))
export BENCH_SIGN=$(printf '%s%s' "$KEY" "$BENCH_T" | md5sum | cut -d' ' -f1)
BENCH_RUN_TAG=w$(date +%s%N) wrk -t2 -c"$CONNS" -d5s -s bench/server/ingest.lua "$BASE" >/dev/null
BENCH_RUN_TAG=m$(date +%s%N) wrk -t2 -c"$CONNS" -d"$((SECS + 2))s" -s bench/server/ingest.lua "$BASE" >"$DIR/wrk.txt" &
WRK=$!
sleep 1
graph=()
[ "${BENCH_PERF_CALLGRAPH:-}" = 1 ] && graph=(--call-graph dwarf,32768 -F 199) || graph=(-F 999)
perf record -e cpu-clock "${graph[@]}" -p "$PID" -o "$DIR/perf.data" -- sleep "$SECS" 2>"$DIR/perf-record.log"
wait $WRK
line=$(grep '^RESULT ' "$DIR/wrk.txt")
eval "$(echo "${line#RESULT }" | tr ' ' '\n' | sed 's/^/R_/')"
echo "callbacks: $(awk -v n=$((R_requests - R_non2xx)) -v d="$R_duration_us" 'BEGIN { printf "%.0f/s", n / (d / 1e6) }') (non-2xx $R_non2xx) under perf"
echo "== top symbols, all threads (self) =="
perf report -i "$DIR/perf.data" --no-children --sort symbol --percent-limit 0.7 --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
echo "== by thread =="
perf report -i "$DIR/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
echo "== writer thread, top symbols =="
perf report -i "$DIR/perf.data" --no-children --comm relive-db-write --sort symbol --percent-limit 0.7 --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
