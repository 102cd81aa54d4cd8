#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster, then stops and removes the cluster
# (on success, failure, Ctrl-C or TERM alike):
#   scripts/with-postgres.sh cargo test -p relive-server --test schema_parity
#   scripts/with-postgres.sh sh -c 'psql "$RELIVE_TEST_PG" -c "select 1"'
# The command sees RELIVE_TEST_PG, a URL for the cluster's `postgres` database as superuser
# `relive` (trust authentication) over a Unix socket in a temporary folder; nothing listens
# on TCP and the distribution's own cluster is left alone. Exits with the command's status.
# fsync stays on: tests that claim durability must not be helped by a faster, unsafe server.
# Needs Debian's postgresql (scripts/setup.sh installs it). RELIVE_PG_PORT overrides the
# port (default 54329; with no TCP it only names the socket file, but a port in use on
# 127.0.0.1 is skipped anyway so the URL never points at someone else's server).
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/initdb" ]; then
  PGBIN=$(pg_config --bindir 2>/dev/null || true)
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "$0: PostgreSQL's initdb not found (run scripts/setup.sh)" >&2
  exit 1
fi

# initdb and postgres refuse to run as root: as root, run them as the `postgres` user.
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "$0: running as root needs the 'postgres' user (Debian's postgresql package makes it)" >&2
    exit 1
  fi
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/relive-pg.XXXXXX")
STARTED=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Immediate: the cluster is thrown away, so no shutdown checkpoint (with fsync on, after
  # a whole test suite's databases, a fast stop spent minutes writing pages to be deleted).
  if [ -n "$STARTED" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=${RELIVE_PG_PORT:-54329}
for _ in $(seq 100); do
  port_busy "$PORT" || break
  PORT=$((PORT + 1))
done

if ! as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust -U relive -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1; then
  cat "$DIR/initdb.log" >&2
  exit 1
fi
STARTED=1
if ! as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/log" \
  -o "-c listen_addresses='' -c unix_socket_directories='$DIR' -p $PORT -c max_connections=300" \
  start >/dev/null; then
  cat "$DIR/log" >&2
  exit 1
fi

export RELIVE_TEST_PG="postgres://relive@/postgres?host=$DIR&port=$PORT"
status=0
"$@" || status=$?
exit "$status"
