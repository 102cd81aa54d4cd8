#!/usr/bin/env bash
# Runs nginx-rtmp in the foreground, recording into Relive's media folder.
#
#   deploy/run-nginx-rtmp.sh [media-dir] [relive-url] [hook-secret] [rtmp-listen]
#
# Defaults suit `make run`: data/media, http://127.0.0.1:8080, $RELIVE_HOOK_SECRET (or
# none), 127.0.0.1:1935. Recordings land in <media-dir>/live. As root, nginx's workers
# run as www-data, which gets that folder; RELIVE_NGINX_SINGLE_PROCESS=1 runs nginx as
# one process as the calling user instead (tests). RELIVE_NGINX_RECORD_INTERVAL (e.g. 30m,
# 10s) splits each recording into parts of that length.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
media=$(realpath -m "${1:-data/media}")
relive=${2:-http://127.0.0.1:8080}
secret=${3:-${RELIVE_HOOK_SECRET:-}}
listen=${4:-127.0.0.1:1935}

[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || {
  echo "nginx's rtmp module is missing: apt-get install nginx libnginx-mod-rtmp (scripts/setup.sh does)" >&2
  exit 1
}
prefix=$(mktemp -d /tmp/relive-nginx-XXXXXX)
record="$media/live"
mkdir -p "$record"
conf="$prefix/nginx.conf"
interval=""
[ -n "${RELIVE_NGINX_RECORD_INTERVAL:-}" ] && interval="record_interval $RELIVE_NGINX_RECORD_INTERVAL;"
sed -e "s|@RECORD_INTERVAL@|$interval|g" -e "s|@PREFIX@|$prefix|g" -e "s|@RTMP_LISTEN@|$listen|g" -e "s|@RECORD_DIR@|$record|g" \
    -e "s|@RELIVE_URL@|$relive|g" -e "s|@SECRET@|$secret|g" "$here/nginx-rtmp.conf.in" > "$conf"
if [ "${RELIVE_NGINX_SINGLE_PROCESS:-0}" = 1 ]; then
  sed -i 's/^worker_processes 1;/worker_processes 1;\nmaster_process off;/' "$conf"
elif [ "$(id -u)" = 0 ]; then
  # nginx's workers (www-data) write the recordings.
  chown www-data "$record"
  d="$record"; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
fi
echo "nginx-rtmp: push to rtmp://$listen/live/<stream>?record=flv (or record=mp4); recordings in $record"
exec nginx -p "$prefix" -c "$conf" -g 'daemon off;'
