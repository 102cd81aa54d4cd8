#!/usr/bin/env bash
# Server benchmarks (`make bench-server`): figures printed, never asserted; see
# bench/README.md, "The server under load". Against the release build, on loopback, with wrk:
#   1. seed (once, cached): 1,000,000 replays over 10,000 streamers via the store's API
#   2. list reads: random streamers' first page; a page ~50 pages deep
#   3. durable ingest: signed Tencent recording callbacks, each a new file
#   4. the server's resident memory at rest and at its peak during each load
# on SQLite, then the same loads on PostgreSQL (a throwaway cluster on this machine, seeded
# once by copying the SQLite seed's rows, cached), and the ingest load on a minimal peer
# (bench/server/peer/: axum + rusqlite, the same contract); then a side-by-side table.
# Knobs (environment): BENCH_REPLAYS, BENCH_STREAMERS, BENCH_IN_FLIGHT (seeding),
# BENCH_THREADS, BENCH_CONNECTIONS, BENCH_DURATION, BENCH_WARMUP (wrk),
# BENCH_DEEP_PAGES, BENCH_RUNS (whole runs, each on a fresh copy of the database),
# BENCH_NO_BUILD=1 (use the builds as they are), BENCH_BACKENDS (default "sqlite postgres peer"), BENCH_LOADS (default "first deep first-br ingest"),
# RELIVE_BENCH_BIN (another build of the server instead of this tree's),
# BENCH_BASELINE_BIN (a second build run on SQLite in the same run, e.g. the commit before a
# change: before/after figures from one run), CARGO_TARGET_DIR (where the builds go).
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
BACKENDS=${BENCH_BACKENDS:-sqlite postgres peer}
LOADS=${BENCH_LOADS:-first deep first-br ingest}
BASELINE_BIN=${BENCH_BASELINE_BIN:-}
# The goals the figures are printed next to.
GOAL_LIST_RPS=10000
GOAL_LIST_P99_MS=20
GOAL_INGEST_RPS=2000
GOAL_RSS_MB=100

HERE=bench/server
CACHE=bench/.cache/server
TARGET=${CARGO_TARGET_DIR:-target}
# Seeded on the current schema: a new migration means a new seed (not a migration at each start).
SCHEMA=$(ls server/migrations/sqlite/*.sql | wc -l)
PG_SCHEMA=$(ls server/migrations/postgres/*.sql | wc -l)
SEED_DB=$CACHE/seed-$REPLAYS-$STREAMERS-schema$SCHEMA.db
# PostgreSQL: a stopped cluster's data folder holding the same rows (copied from SEED_DB).
PG_SEED=$CACHE/pg-seed-$REPLAYS-$STREAMERS-schema$SCHEMA-pg$PG_SCHEMA
PG_PORT=${BENCH_PG_PORT:-54339}
RUN_DIR=$CACHE/run
KEY=bench-callback-key
CLK_TCK=$(getconf CLK_TCK)
export BENCH_LUA_DIR=$PWD/$HERE BENCH_STREAMERS=$STREAMERS
has() { [[ " $1 " == *" $2 "* ]]; }

say() { printf '\033[1;34m[bench-server]\033[0m %s\n' "$*" >&2; }

# --- tools and builds ----------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v python3 >/dev/null || missing+=(python3)
if has "$BACKENDS" postgres; then command -v psql >/dev/null || missing+=(postgresql); fi
if ((${#missing[@]})); then
  say "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${BENCH_NO_BUILD:-}" = 1 ]; then
  say "BENCH_NO_BUILD=1: using the builds in $TARGET as they are"
else
  say "cargo build --release -p relive-server (and its example seed), into $TARGET"
  cargo build --quiet --release -p relive-server --example seed
  cargo build --quiet --release -p relive-server
fi
BIN=${RELIVE_BENCH_BIN:-$TARGET/release/relive}
if has "$BACKENDS" peer; then
  # Its own workspace and lock file; the same target folder (its dependencies are the server's).
  if [ "${BENCH_NO_BUILD:-}" != 1 ]; then
    say "cargo build --release the peer (bench/server/peer)"
    cargo build --quiet --release --manifest-path $HERE/peer/Cargo.toml --target-dir "${CARGO_TARGET_DIR:-$CACHE/peer-target}"
  fi
  PEER_BIN=${CARGO_TARGET_DIR:-$CACHE/peer-target}/release/relive-bench-peer
fi
# What was built: the commit, and whether the server's sources differ from it.
BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain -- server/src server/migrations server/Cargo.toml api Cargo.lock 2>/dev/null)" ]; then
  BUILT="$BUILT + uncommitted changes to the server's sources"
fi
[ -n "${RELIVE_BENCH_BIN:-}" ] && BUILT="$RELIVE_BENCH_BIN"
mkdir -p "$CACHE"

# --- 1. seed (once) --------------------------------------------------------------
if [ ! -f "$SEED_DB" ]; then
  say "seeding $SEED_DB: $REPLAYS replays over $STREAMERS streamers, $IN_FLIGHT record_replay calls in flight"
  rm -rf "$CACHE/seeding" && mkdir -p "$CACHE/seeding"
  "$TARGET/release/examples/seed" "$CACHE/seeding/relive.db" "$REPLAYS" "$STREAMERS" "$IN_FLIGHT" \
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

# --- PostgreSQL: a throwaway cluster, as scripts/with-postgres.sh makes (fsync on) ----------
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/initdb" ] || PGBIN=$(pg_config --bindir 2>/dev/null || true)
# initdb and postgres refuse to run as root: as root, as the `postgres` user.
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
PG_DIR=""  # the running cluster's folder (data/ and the socket)
pg_start() { # FOLDER: starts the cluster in FOLDER/data, its socket in FOLDER; sets PG_URL
  PG_DIR=$(cd "$1" && pwd)
  [ "$(id -u)" = 0 ] && chown -R postgres: "$PG_DIR"
  as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/log" \
    -o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -p $PG_PORT" start >/dev/null \
    || { cat "$PG_DIR/log" >&2; exit 1; }
  PG_URL="postgres://relive@/postgres?host=$PG_DIR&port=$PG_PORT"
}
pg_stop() { # [MODE]
  [ -n "$PG_DIR" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-immediate}" -w stop >/dev/null 2>&1 || true
  PG_DIR=""
}
if has "$BACKENDS" postgres; then
  [ -x "$PGBIN/initdb" ] || { say "PostgreSQL's initdb not found (scripts/setup.sh installs it)"; exit 1; }
  if [ ! -d "$PG_SEED" ]; then
    say "seeding PostgreSQL in $PG_SEED: migrations by the seed example, then the rows of $SEED_DB by COPY"
    rm -rf "$CACHE/pg-seeding" && mkdir -p "$CACHE/pg-seeding"
    [ "$(id -u)" = 0 ] && chown postgres: "$CACHE/pg-seeding"
    as_pg "$PGBIN/initdb" -D "$CACHE/pg-seeding/data" -A trust -U relive -E UTF8 --locale=C.UTF-8 >/dev/null
    trap 'pg_stop' EXIT
    pg_start "$CACHE/pg-seeding"
    started=$(date +%s)
    "$TARGET/release/examples/seed" "$PG_URL" 0 >/dev/null
    python3 "$HERE/sqlite-to-pg.py" "$SEED_DB" "$PG_URL"
    pg_stop fast
    trap - EXIT
    echo "copied from $(basename "$SEED_DB") in $(( $(date +%s) - started )) s on $(date -u '+%Y-%m-%d %H:%M UTC')" >"$CACHE/pg-seeding/seed.txt"
    mv "$CACHE/pg-seeding" "$PG_SEED"
  else
    say "reusing $PG_SEED (delete it to seed again)"
  fi
fi

# --- helpers -------------------------------------------------------------------------
PID=""
BASE=""
SAMPLER=""
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  pg_stop
}
trap cleanup EXIT

rss_kb() { local k v _; while read -r k v _; do if [ "$k" = "$1:" ]; then echo "$v"; return; fi; done <"/proc/$PID/status"; }
busy_ticks() { local _c u n s _i _w q sq st _rest; read -r _c u n s _i _w q sq st _rest </proc/stat; echo $((u + n + s + q + sq + st)); }
cpu_ticks() { local s; s=$(<"/proc/$PID/stat"); s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
# CPU ticks of the PostgreSQL cluster's processes (0 without one).
pg_ticks() {
  [ -n "$PG_DIR" ] || { echo 0; return; }
  local pm t=0 p s
  pm=$(head -1 "$PG_DIR/data/postmaster.pid")
  for p in "$pm" $(cat /proc/"$pm"/task/"$pm"/children 2>/dev/null); do
    s=$(<"/proc/$p/stat") 2>/dev/null || continue
    s=${s##*) }; set -- $s; t=$((t + ${12} + ${13}))
  done
  echo $t
}
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

# start_server KIND [BIN]: KIND sqlite (a fresh copy of the seed), postgres (a fresh copy
# of the seeded cluster) or peer (an empty database of its own).
start_server() {
  local kind=$1 bin=${2:-$BIN} db
  rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR/media"
  case $kind in
    sqlite)
      say "copying the seeded database to $RUN_DIR"
      for f in "$SEED_DB" "$SEED_DB-wal"; do [ -f "$f" ] && cp "$f" "$RUN_DIR/relive.db${f#"$SEED_DB"}"; done
      db=$RUN_DIR/relive.db ;;
    postgres)
      say "copying the seeded PostgreSQL cluster to $RUN_DIR/pg and starting it"
      mkdir -p "$RUN_DIR/pg" && cp -a "$PG_SEED/data" "$RUN_DIR/pg/data"
      pg_start "$RUN_DIR/pg"
      db=$PG_URL ;;
  esac
  if [ "$kind" = peer ]; then
    "$PEER_BIN" "$RUN_DIR/peer.db" 127.0.0.1:0 "$KEY" >"$RUN_DIR/stdout" 2>"$RUN_DIR/server.log" &
    PID=$!
  else
    # Logs at the default level (info: one line per callback), to a file, without colours.
    NO_COLOR=1 "$bin" --db "$db" --listen 127.0.0.1:0 --dist dist --media-dir "$RUN_DIR/media" \
      --images-dir "$RUN_DIR/images" --images-backfill 0 \
      --tencent-callback-key "$KEY" --hook-rate-limit 0 >"$RUN_DIR/stdout" 2>"$RUN_DIR/server.log" &
    PID=$!
  fi
  for _ in $(seq 300); do
    BASE=$(sed -n -e 's|^Relive is running at \(http://[^/]*\)/.*|\1|p' -e 's|^listening on \(.*\)|http://\1|p' "$RUN_DIR/stdout")
    [ -n "$BASE" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$RUN_DIR/server.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$BASE" ] || { say "the server did not print its address"; exit 1; }
}

stop_server() {
  kill "$PID" && wait "$PID" 2>/dev/null || true
  PID=""
  pg_stop
}

# load NAME SCRIPT PATH: a warm-up, then the measured wrk run; sets R_* for the figures.
load() {
  local name=$1 script=$2 path=$3 out=$RUN_DIR/$1.wrk
  sample_rss "$RUN_DIR/$name.rss" &
  SAMPLER=$!
  say "$name: warm-up $WARMUP, then wrk -t$THREADS -c$CONNS -d$DURATION --latency -s $script $BASE$path"
  # Each wrk process numbers its callbacks from 1: a tag of its own keeps their file_ids new.
  BENCH_RUN_TAG=w$(date +%s%N) wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$HERE/$script" "$BASE$path" >/dev/null
  local c0 c1 b0 b1 g0 g1 TIMEFORMAT='%3U %3S'
  b0=$(busy_ticks); c0=$(cpu_ticks); g0=$(pg_ticks)
  { time BENCH_RUN_TAG=m$(date +%s%N) wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$HERE/$script" "$BASE$path" >"$out"; } 2>"$RUN_DIR/$name.time"
  c1=$(cpu_ticks); b1=$(busy_ticks); g1=$(pg_ticks)
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
  R_PG_CPU=$(awk -v t=$((g1 - g0)) -v hz="$CLK_TCK" -v s="$R_SECS" 'BEGIN { printf "%.2f", t / hz / s }')
  # CPU (in cores) of wrk, and of everything else on the machine: other work makes figures low.
  R_WRK_CPU=$(awk -v s="$R_SECS" '{ printf "%.2f", ($1 + $2) / s }' "$RUN_DIR/$name.time")
  R_OTHER_CPU=$(awk -v b=$((b1 - b0)) -v t=$((c1 - c0 + g1 - g0)) -v hz="$CLK_TCK" -v s="$R_SECS" -v w="$R_WRK_CPU" \
    'BEGIN { o = (b - t) / hz / s - w; printf "%.2f", (o < 0 ? 0 : o) }')
  R_PEAK=$(mb "$(sort -n "$RUN_DIR/$name.rss" | tail -1)")
  R_ERRS="non-2xx $R_non2xx, socket errors: connect $R_connect read $R_read write $R_write timeout $R_timeout"
}

met() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "MISSED") }'; }
cpu_note() {
  local pg=""
  [ "$R_PG_CPU" != "0.00" ] && pg=", PostgreSQL $R_PG_CPU"
  printf 'CPU: server %s%s, wrk %s, other %s cores' "$R_CPU" "$pg" "$R_WRK_CPU" "$R_OTHER_CPU"
}

# Figures for the side-by-side table, by "phase|figure".
declare -A FIG

# phase NAME LABEL KIND [BIN]: the loads on one server; appends to rows.
phase() {
  local name=$1 label=$2 kind=$3 bin=${4:-$BIN}
  start_server "$kind" "$bin"
  sleep 1
  local rest end hwm ok accepted0 accepted duplicates rejected errors what
  rest=$(rss_kb VmRSS)
  say "$label: pid $PID at $BASE, VmRSS at rest after start $(mb "$rest") MB"
  rows+=("-- $label")
  if [ "$kind" != peer ] && has "$LOADS" deep; then
    say "finding deep pages: following next_cursor $DEEP_PAGES times for the $HEAVY heavy streamers"
    local heavy_ids=() i
    for ((i = 0; i < HEAVY; i++)); do heavy_ids+=("$(printf 'bench_%05d' "$i")"); done
    python3 "$HERE/deep-cursors.py" "$BASE" "$DEEP_PAGES" "${heavy_ids[@]}" >"$RUN_DIR/deep-paths.txt"
    export BENCH_DEEP_PATHS=$PWD/$RUN_DIR/deep-paths.txt
    say "$(wc -l <"$BENCH_DEEP_PATHS") deep pages, e.g. $(head -1 "$BENCH_DEEP_PATHS")"
  fi
  for what in $LOADS; do
    [ "$kind" = peer ] && [ "$what" != ingest ] && continue
    case $what in
      first) load list-first list-first.lua "/"; label2="list, first page (random of $STREAMERS streamers)" ;;
      deep) load list-deep list-deep.lua "/"; label2="list, page $((DEEP_PAGES + 1)) (cursor; $HEAVY streamers)" ;;
      first-br) BENCH_ACCEPT_ENCODING="gzip, deflate, br" load list-first-br list-first.lua "/"
        label2="list, first page, Accept-Encoding: gzip, deflate, br" ;;
      ingest) continue ;;
    esac
    FIG["$name|$what"]=$R_OK_RPS FIG["$name|$what-p99"]=$R_P99
    ok=$(awk -v r="$R_OK_RPS" -v p="$R_P99" -v gr=$GOAL_LIST_RPS -v gp=$GOAL_LIST_P99_MS 'BEGIN { print (r >= gr && p < gp) }')
    rows+=("$(printf '%-58s %8s req/s  p50 %6s ms  p99 %6s ms  (max %s ms)  %s  peak RSS %s MB  goal >= %s req/s, p99 < %s ms: %s  [%s]' \
      "$label2" "$R_OK_RPS" "$R_P50" "$R_P99" "$R_MAX" "$(cpu_note)" "$R_PEAK" $GOAL_LIST_RPS $GOAL_LIST_P99_MS "$(met "$ok")" "$R_ERRS")")
    say "${rows[-1]}"
  done

  if has "$LOADS" ingest; then
    accepted0=$(grep -c 'outcome=accepted' "$RUN_DIR/server.log" || true)
    export BENCH_T=$(( $(date +%s) + 10 * 365 * 86400 ))
    export BENCH_SIGN=$(printf '%s%s' "$KEY" "$BENCH_T" | md5sum | cut -d' ' -f1)
    load ingest ingest.lua "/hooks/tencent"
    sleep 1
    FIG["$name|ingest"]=$R_OK_RPS FIG["$name|ingest-p99"]=$R_P99
    local log_note=""
    if [ "$kind" != peer ]; then
      accepted=$(( $(grep -c 'outcome=accepted' "$RUN_DIR/server.log" || true) - accepted0 ))
      duplicates=$(grep -c 'outcome=duplicate' "$RUN_DIR/server.log" || true)
      rejected=$(grep -c 'rejected' "$RUN_DIR/server.log" || true)
      log_note="; the log says $accepted accepted (warm-up and requests in flight at the end included), $duplicates duplicates, $rejected rejected"
    fi
    ok=$(awk -v r="$R_OK_RPS" -v g=$GOAL_INGEST_RPS 'BEGIN { print (r >= g) }')
    rows+=("$(printf '%-58s %8s 200/s  p50 %6s ms  p99 %6s ms  (max %s ms)  %s  peak RSS %s MB  goal >= %s/s: %s  [%s%s]' \
      "durable Tencent callbacks (200 = committed)" "$R_OK_RPS" "$R_P50" "$R_P99" "$R_MAX" "$(cpu_note)" "$R_PEAK" $GOAL_INGEST_RPS "$(met "$ok")" "$R_ERRS" "$log_note")")
    say "${rows[-1]}"
  fi

  sleep 2
  end=$(rss_kb VmRSS)
  hwm=$(rss_kb VmHWM)
  FIG["$name|rss"]=$(mb "$hwm")
  ok=$(awk -v h="$hwm" -v g=$GOAL_RSS_MB 'BEGIN { print (h / 1024 < g) }')
  rows+=("$(printf 'memory: VmRSS at rest after start %s MB, after the loads %s MB; peak (VmHWM) %s MB  goal < %s MB: %s' \
    "$(mb "$rest")" "$(mb "$end")" "$(mb "$hwm")" $GOAL_RSS_MB "$(met "$ok")")")
  errors=$(grep -c 'ERROR' "$RUN_DIR/server.log" || true)
  ((errors == 0)) || rows+=("server log: $errors ERROR lines (e.g. $(grep -m1 'ERROR' "$RUN_DIR/server.log" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-160))")
  stop_server
}

# --- the runs ---------------------------------------------------------------------------
say "machine: $(nproc) cores; wrk and the server share them. Load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if busy=$(pgrep -af 'fuzz|rustc|cargo'); then
  say "WARNING: other work is running (figures may be low):"; echo "$busy" >&2
fi

PG_LABEL="Relive, PostgreSQL (co-located on 2 cores)"
SUMMARY=()
for run in $(seq "$RUNS"); do
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  rows=()
  # With a baseline, it goes first in odd runs and second in even ones (drift evens out).
  order=()
  has "$BACKENDS" sqlite && order+=(sqlite)
  # Baselines (BENCH_BASELINE_BIN: one or more binaries, space-separated) go first in odd
  # runs and last in even ones, so that drift over the run evens out.
  bases=()
  i=0
  for b in $BASELINE_BIN; do bases+=("baseline$i"); i=$((i + 1)); done
  if ((${#bases[@]})); then
    if ((run % 2)); then order=("${bases[@]}" "${order[@]}"); else order+=("${bases[@]}"); fi
  fi
  has "$BACKENDS" peer && order+=(peer)
  has "$BACKENDS" postgres && order+=(postgres)
  for p in "${order[@]}"; do
    case $p in
      sqlite) phase "sqlite$run" "Relive, SQLite" sqlite ;;
      baseline*) b=$(echo $BASELINE_BIN | cut -d' ' -f$((${p#baseline} + 1)))
        phase "$p-$run" "$p ($b), SQLite" sqlite "$b" ;;
      peer) phase "peer$run" "peer (bench/server/peer: axum + rusqlite, same contract)" peer ;;
      postgres) phase "postgres$run" "$PG_LABEL" postgres ;;
    esac
  done
  SUMMARY+=("run $run of $RUNS ($(date -u '+%H:%M UTC'), load average before: $LOAD_BEFORE)" "${rows[@]}")
done

echo
echo "== Relive server benchmarks: release build of $BUILT, loopback, wrk -t$THREADS -c$CONNS -d$DURATION (after a $WARMUP warm-up), $(nproc) cores shared by wrk and the server =="
echo "seed: $SEED_LINE (${SEED_WHEN:-date unknown}; cached in $SEED_DB)"
has "$BACKENDS" postgres && echo "PostgreSQL: $("$PGBIN/postgres" --version), default settings (fsync on, synchronous_commit on), on this machine: its CPU is shared with wrk and the server; seed $(cat "$PG_SEED/seed.txt" 2>/dev/null)"
printf '%s\n' "${SUMMARY[@]}"

# The side-by-side table (figures of each run; only figures of one run compare).
v() { echo "${FIG[$1]:--}"; }
ratio() { awk -v a="${FIG[$1]:-}" -v b="${FIG[$2]:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f×", a / b }'; }
echo
printf '| run | server | list first page req/s (p99 ms) | page %s req/s (p99 ms) | durable callbacks/s (p99 ms) | peak RSS MB |\n' $((DEEP_PAGES + 1))
echo '|---|---|---|---|---|---|'
for run in $(seq "$RUNS"); do
  names=()
  i=0
  for b in $BASELINE_BIN; do names+=("baseline$i-"); i=$((i + 1)); done
  for p in "${names[@]}" sqlite peer postgres; do
    n=$p$run
    [ -n "${FIG[$n|rss]:-}" ] || continue
    case $p in
      sqlite) label="Relive, SQLite" ;; baseline*) k=${p//[!0-9]/}; label="${p%-}: $(echo $BASELINE_BIN | cut -d' ' -f$((k + 1))), SQLite" ;;
      peer) label="peer (axum + rusqlite)" ;; postgres) label="$PG_LABEL" ;;
    esac
    printf '| %s | %s | %s (%s) | %s (%s) | %s (%s) | %s |\n' "$run" "$label" \
      "$(v "$n|first")" "$(v "$n|first-p99")" "$(v "$n|deep")" "$(v "$n|deep-p99")" "$(v "$n|ingest")" "$(v "$n|ingest-p99")" "$(v "$n|rss")"
  done
  has "$LOADS" ingest && echo "run $run ratios: Relive/peer callbacks $(ratio "sqlite$run|ingest" "peer$run|ingest"); Relive/baseline0 callbacks $(ratio "sqlite$run|ingest" "baseline0-$run|ingest"); PostgreSQL/SQLite: first page $(ratio "postgres$run|first" "sqlite$run|first"), deep $(ratio "postgres$run|deep" "sqlite$run|deep"), callbacks $(ratio "postgres$run|ingest" "sqlite$run|ingest")"
done
