#!/usr/bin/env bash
# Prints the brotli size of everything a first page load downloads (wasm + js + css,
# and the html that names them). Goal (issue 3): under 200 KB for wasm + js + css.
set -euo pipefail
cd "$(dirname "$0")/.."
total=0
code=0
printf '%-44s %10s %10s\n' "web app asset" "raw" "brotli"
# The workers (relive-file-worker*, relive-ts-worker*) load only when an FLV or HLS replay
# plays: listed apart.
shopt -s nullglob
# wasm-bindgen's snippets (dist/snippets/*/*.js) are modules the app's JS imports at start.
for f in dist/*.wasm dist/*.js dist/snippets/*/*.js dist/*.css dist/index.html; do
  [ -f "$f" ] || continue
  case "$f" in *relive-file-worker* | *relive-ts-worker* | */relive-embed.js) continue ;; esac
  raw=$(stat -c %s "$f")
  br=$(stat -c %s "$f.br")
  total=$((total + br))
  case "$f" in *.html) ;; *) code=$((code + br)) ;; esac
  printf '%-44s %10d %10d\n' "$(basename "$f")" "$raw" "$br"
done
printf '%-44s %10s %10d\n' "first load, brotli" "" "$total"
printf '%-44s %10s %10d  (%d KiB; goal < 200 KB)\n' "of which wasm + js + css" "" "$code" $((code / 1024))
worker=0
for f in dist/relive-file-worker*.wasm dist/relive-file-worker*.js; do
  [ -f "$f.br" ] && worker=$((worker + $(stat -c %s "$f.br")))
done
printf '%-44s %10s %10d  (only when an FLV replay plays)\n' "FLV remuxer worker, brotli" "" "$worker"
worker=0
for f in dist/relive-ts-worker*.wasm dist/relive-ts-worker*.js; do
  [ -f "$f.br" ] && worker=$((worker + $(stat -c %s "$f.br")))
done
printf '%-44s %10s %10d  (only when an HLS replay plays)\n' "MPEG-TS remuxer worker, brotli" "" "$worker"
# The embed API's helper: loaded by other sites' pages, never by the app.
if [ -f dist/relive-embed.js.br ]; then
  printf '%-44s %10d %10d  (for host pages; goal < 3 KB raw)\n' "relive-embed.js" \
    "$(stat -c %s dist/relive-embed.js)" "$(stat -c %s dist/relive-embed.js.br)"
fi
