#!/usr/bin/env bash
# Server benchmarks (`make bench-server`): figures printed, never asserted; see
# bench/README.md, "The server under load". Against the release build, on loopback, with wrk:
#   1. seed (once, cached): 1,000,000 replays over 10,000 streamers via the store's API
#   2. list reads: random streamers' first page; a page ~50 pages deep
#   3. durable ingest: signed Tencent recording callbacks, each a new file
#   4. the server's resident memory at rest and at its peak during each load
# Knobs (environment): BENCH_REPLAYS, BENCH_STREAMERS, BENCH_IN_FLIGHT (seeding),
# BENCH_THREADS, BENCH_CONNECTIONS, BENCH_DURATION, BENCH_WARMUP (wrk),
# BENCH_DEEP_PAGES, BENCH_RUNS (whole runs, each on a fresh copy of the database),
# RELIVE_BENCH_BIN (another build of the server, to compare two in the same conditions).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"

REPLAYS=${BENCH_REPLAYS:-1000000}
STREAMERS=${BENCH_STREAMERS:-10000}
IN_FLIGHT=${BENCH_IN_FLIGHT:-1024}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-64}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-5s}
DEEP_PAGES=${BENCH_DEEP_PAGES:-50}
RUNS=${BENCH_RUNS:-1}
# The goals the figures are printed next to.
GOAL_LIST_RPS=10000
GOAL_LIST_P99_MS=20
GOAL_INGEST_RPS=2000
GOAL_RSS_MB=100

HERE=bench/server
CACHE=bench/.cache/server
# Seeded on the current schema: a new migration means a new seed (not a migration at each start).
SCHEMA=$(ls server/migrations/sqlite/*.sql | wc -l)
SEED_DB=$CACHE/seed-$REPLAYS-$STREAMERS-schema$SCHEMA.db
RUN_DIR=$CACHE/run
KEY=bench-callback-key
CLK_TCK=$(getconf CLK_TCK)
export BENCH_LUA_DIR=$PWD/$HERE BENCH_STREAMERS=$STREAMERS

say() { printf '\033[1;34m[bench-server]\033[0m %s\n' "$*" >&2; }

# --- tools and builds ----------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  say "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
say "cargo build --release -p relive-server (and its example seed)"
cargo build --quiet --release -p relive-server --example seed
cargo build --quiet --release -p relive-server
BIN=${RELIVE_BENCH_BIN:-target/release/relive}
# What was built: the commit, and whether the server's sources differ from it.
BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- server/src server/migrations server/Cargo.toml api Cargo.lock 2>/dev/null)" ]; then
  BUILT="$BUILT + uncommitted changes to the server's sources"
fi
mkdir -p "$CACHE"

# --- 1. seed (once) --------------------------------------------------------------
if [ ! -f "$SEED_DB" ]; then
  say "seeding $SEED_DB: $REPLAYS replays over $STREAMERS streamers, $IN_FLIGHT record_replay calls in flight"
  rm -rf "$CACHE/seeding" && mkdir -p "$CACHE/seeding"
  target/release/examples/seed "$CACHE/seeding/relive.db" "$REPLAYS" "$STREAMERS" "$IN_FLIGHT" \
    | tee "$CACHE/seeding/seed.txt"
  echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores" >>"$CACHE/seeding/seed.txt"
  for f in "$CACHE"/seeding/relive.db*; do mv "$f" "$SEED_DB${f#"$CACHE"/seeding/relive.db}"; done
  mv "$CACHE/seeding/seed.txt" "$SEED_DB.txt"
  rmdir "$CACHE/seeding"
else
  say "reusing $SEED_DB (delete it to seed again)"
fi
SEED_LINE=$(head -1 "$SEED_DB.txt")
SEED_WHEN=$(sed -n 's/^on //p' "$SEED_DB.txt")
HEAVY=$(sed -n 's/^heavy: //p' "$SEED_DB.txt")

# --- helpers -------------------------------------------------------------------------
PID=""
BASE=""
SAMPLER=""
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
}
trap cleanup EXIT

rss_kb() { local k v _; while read -r k v _; do if [ "$k" = "$1:" ]; then echo "$v"; return; fi; done <"/proc/$PID/status"; }
busy_ticks() { local _c u n s _i _w q sq st _rest; read -r _c u n s _i _w q sq st _rest </proc/stat; echo $((u + n + s + q + sq + st)); }
cpu_ticks() { local s; s=$(<"/proc/$PID/stat"); s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# VmRSS every 100 ms into $1 until killed.
sample_rss() {
  local k v _
  while :; do
    [ -r "/proc/$PID/status" ] || return 0
    while read -r k v _; do if [ "$k" = "VmRSS:" ]; then echo "$v"; fi; done <"/proc/$PID/status"
    sleep 0.1
  done >"$1"
}

start_server() {
  rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR/media"
  say "copying the seeded database to $RUN_DIR"
  for f in "$SEED_DB" "$SEED_DB-wal"; do [ -f "$f" ] && cp "$f" "$RUN_DIR/relive.db${f#"$SEED_DB"}"; done
  # Logs at the default level (info: one line per callback), to a file, without colours.
  NO_COLOR=1 "$BIN" --db "$RUN_DIR/relive.db" --listen 127.0.0.1:0 --dist dist --media-dir "$RUN_DIR/media" \
    --images-dir "$RUN_DIR/images" --images-backfill 0 \
    --tencent-callback-key "$KEY" --hook-rate-limit 0 >"$RUN_DIR/stdout" 2>"$RUN_DIR/server.log" &
  PID=$!
  for _ in $(seq 300); do
    BASE=$(sed -n 's|^Relive is running at \(http://[^/]*\)/.*|\1|p' "$RUN_DIR/stdout")
    [ -n "$BASE" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$RUN_DIR/server.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$BASE" ] || { say "the server did not print its address"; exit 1; }
}

stop_server() {
  kill "$PID" && wait "$PID" 2>/dev/null || true
  PID=""
}

# load NAME SCRIPT PATH: a warm-up, then the measured wrk run; sets R_* for the figures.
load() {
  local name=$1 script=$2 path=$3 out=$RUN_DIR/$1.wrk
  sample_rss "$RUN_DIR/$name.rss" &
  SAMPLER=$!
  say "$name: warm-up $WARMUP, then wrk -t$THREADS -c$CONNS -d$DURATION --latency -s $script $BASE$path"
  # Each wrk process numbers its callbacks from 1: a tag of its own keeps their file_ids new.
  BENCH_RUN_TAG=w$(date +%s%N) wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$HERE/$script" "$BASE$path" >/dev/null
  local c0 c1 b0 b1 TIMEFORMAT='%3U %3S'
  b0=$(busy_ticks); c0=$(cpu_ticks)
  { time BENCH_RUN_TAG=m$(date +%s%N) wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/$script" "$BASE$path" >"$out"; } 2>"$RUN_DIR/$name.time"
  c1=$(cpu_ticks); b1=$(busy_ticks)
  kill "$SAMPLER" && wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
  local line
  line=$(grep '^RESULT ' "$out") || { cat "$out" >&2; exit 1; }
  eval "$(echo "${line#RESULT }" | tr ' ' '\n' | sed 's/^/R_/')"
  R_SECS=$(awk -v d="$R_duration_us" 'BEGIN { printf "%.3f", d / 1e6 }')
  R_OK=$((R_requests - R_non2xx))
  R_OK_RPS=$(awk -v n="$R_OK" -v s="$R_SECS" 'BEGIN { printf "%.0f", n / s }')
  R_P50=$(awk -v u="$R_p50_us" 'BEGIN { printf "%.2f", u / 1000 }')
  R_P99=$(awk -v u="$R_p99_us" 'BEGIN { printf "%.2f", u / 1000 }')
  R_MAX=$(awk -v u="$R_max_us" 'BEGIN { printf "%.1f", u / 1000 }')
  R_CPU=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$R_SECS" 'BEGIN { printf "%.2f", t / hz / s }')
  # CPU (in cores) of wrk, and of everything else on the machine: other work makes figures low.
  R_WRK_CPU=$(awk -v s="$R_SECS" '{ printf "%.2f", ($1 + $2) / s }' "$RUN_DIR/$name.time")
  R_OTHER_CPU=$(awk -v b=$((b1 - b0)) -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$R_SECS" -v w="$R_WRK_CPU" \
    'BEGIN { o = (b - t) / hz / s - w; printf "%.2f", (o < 0 ? 0 : o) }')
  R_PEAK=$(mb "$(sort -n "$RUN_DIR/$name.rss" | tail -1)")
  R_ERRS="non-2xx $R_non2xx, socket errors: connect $R_connect read $R_read write $R_write timeout $R_timeout"
}

met() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "MISSED") }'; }

# --- the runs ---------------------------------------------------------------------------
say "machine: $(nproc) cores; wrk and the server share them. Load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if busy=$(pgrep -af fuzz); then
  say "WARNING: other work is running (figures may be low):"; echo "$busy" >&2
fi

SUMMARY=()
for run in $(seq "$RUNS"); do
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  start_server
  sleep 1
  REST=$(rss_kb VmRSS)
  say "run $run of $RUNS: server pid $PID at $BASE, VmRSS at rest after start $(mb "$REST") MB"

  say "finding deep pages: following next_cursor $DEEP_PAGES times for the $HEAVY heavy streamers"
  heavy_ids=()
  for ((i = 0; i < HEAVY; i++)); do heavy_ids+=("$(printf 'bench_%05d' "$i")"); done
  python3 "$HERE/deep-cursors.py" "$BASE" "$DEEP_PAGES" "${heavy_ids[@]}" >"$RUN_DIR/deep-paths.txt"
  export BENCH_DEEP_PATHS=$PWD/$RUN_DIR/deep-paths.txt
  say "$(wc -l <"$BENCH_DEEP_PATHS") deep pages, e.g. $(head -1 "$BENCH_DEEP_PATHS")"

  rows=()
  for what in first deep first-br; do
    case $what in
      first) load list-first list-first.lua "/"; label="list, first page (random of $STREAMERS streamers)" ;;
      deep) load list-deep list-deep.lua "/"; label="list, page $((DEEP_PAGES + 1)) (cursor; $HEAVY streamers)" ;;
      first-br) BENCH_ACCEPT_ENCODING="gzip, deflate, br" load list-first-br list-first.lua "/"
        label="list, first page, Accept-Encoding: gzip, deflate, br" ;;
    esac
    ok=$(awk -v r="$R_OK_RPS" -v p="$R_P99" -v gr=$GOAL_LIST_RPS -v gp=$GOAL_LIST_P99_MS 'BEGIN { print (r >= gr && p < gp) }')
    rows+=("$(printf '%-58s %8s req/s  p50 %6s ms  p99 %6s ms  (max %s ms)  CPU: server %s, wrk %s, other %s cores  peak RSS %s MB  goal >= %s req/s, p99 < %s ms: %s  [%s]' \
      "$label" "$R_OK_RPS" "$R_P50" "$R_P99" "$R_MAX" "$R_CPU" "$R_WRK_CPU" "$R_OTHER_CPU" "$R_PEAK" $GOAL_LIST_RPS $GOAL_LIST_P99_MS "$(met "$ok")" "$R_ERRS")")
    say "${rows[-1]}"
  done

  accepted0=$(grep -c 'outcome=accepted' "$RUN_DIR/server.log" || true)
  export BENCH_T=$(( $(date +%s) + 10 * 365 * 86400 ))
  export BENCH_SIGN=$(printf '%s%s' "$KEY" "$BENCH_T" | md5sum | cut -d' ' -f1)
  load ingest ingest.lua "/hooks/tencent"
  sleep 1
  accepted=$(( $(grep -c 'outcome=accepted' "$RUN_DIR/server.log" || true) - accepted0 ))
  duplicates=$(grep -c 'outcome=duplicate' "$RUN_DIR/server.log" || true)
  rejected=$(grep -c 'rejected' "$RUN_DIR/server.log" || true)
  errors=$(grep -c 'ERROR' "$RUN_DIR/server.log" || true)
  ok=$(awk -v r="$R_OK_RPS" -v g=$GOAL_INGEST_RPS 'BEGIN { print (r >= g) }')
  rows+=("$(printf '%-58s %8s 200/s  p50 %6s ms  p99 %6s ms  (max %s ms)  CPU: server %s, wrk %s, other %s cores  peak RSS %s MB  goal >= %s/s: %s  [%s; the log says %s accepted (warm-up and requests in flight at the end included), %s duplicates, %s rejected]' \
    "durable Tencent callbacks (200 = committed)" "$R_OK_RPS" "$R_P50" "$R_P99" "$R_MAX" "$R_CPU" "$R_WRK_CPU" "$R_OTHER_CPU" "$R_PEAK" $GOAL_INGEST_RPS "$(met "$ok")" "$R_ERRS" "$accepted" "$duplicates" "$rejected")")
  say "${rows[-1]}"

  sleep 2
  END=$(rss_kb VmRSS)
  HWM=$(rss_kb VmHWM)
  ok=$(awk -v h="$HWM" -v g=$GOAL_RSS_MB 'BEGIN { print (h / 1024 < g) }')
  rows+=("$(printf 'memory: VmRSS at rest after start %s MB, after the loads %s MB; peak (VmHWM) %s MB  goal < %s MB: %s' \
    "$(mb "$REST")" "$(mb "$END")" "$(mb "$HWM")" $GOAL_RSS_MB "$(met "$ok")")")
  ((errors == 0)) || rows+=("server log: $errors ERROR lines (e.g. $(grep -m1 'ERROR' "$RUN_DIR/server.log" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-160))")
  stop_server
  SUMMARY+=("run $run of $RUNS ($(date -u '+%H:%M UTC'), load average before: $LOAD_BEFORE)" "${rows[@]}")
done

echo
echo "== Relive server benchmarks: release build of $BUILT, loopback, wrk -t$THREADS -c$CONNS -d$DURATION (after a $WARMUP warm-up), $(nproc) cores shared by wrk and the server =="
echo "seed: $SEED_LINE (${SEED_WHEN:-date unknown}; cached in $SEED_DB)"
printf '%s\n' "${SUMMARY[@]}"
