#!/usr/bin/env bash
# Points a built web app at a Relive server on another origin: sets the
# `<meta name="relive-api" content="…">` tag of DIST/index.html to URL (empty: the app's own
# origin, the default) and drops the now stale index.html.br/.gz beside it.
#
#   scripts/set-api-base.sh dist https://api.example.com
#
# Then copy DIST to any static host or CDN. (`RELIVE_API_BASE=… scripts/build-web.sh`
# does this as it builds.)
set -euo pipefail
dist=${1:?usage: set-api-base.sh DIST URL}
url=${2-}
case "$url" in
  ''|http://*|https://*) ;;
  *) echo "set-api-base.sh: '$url' is not an http(s) URL" >&2; exit 2 ;;
esac
case "$url" in *[\"\<\>\&\'\ ]*) echo "set-api-base.sh: '$url' has characters a URL does not" >&2; exit 2 ;; esac
index="$dist/index.html"
grep -qiE '<meta[^>]*relive-api' "$index" || { echo "set-api-base.sh: no relive-api meta tag in $index" >&2; exit 1; }
RELIVE_API_BASE="$url" perl -0pi -e 's{<meta[^>]*?name="?relive-api"?[^>]*>}{<meta name="relive-api" content="$ENV{RELIVE_API_BASE}">}i' "$index"
rm -f "$index.br" "$index.gz"
