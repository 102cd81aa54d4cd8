#!/usr/bin/env bash
# Builds the web app into dist/ (release, wasm-opt'd), precompresses it for the server
# (.br and .gz beside each file), and prints what the first page load downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

cargo fetch --quiet
trunk build --release --offline --skip-version-check 2>&1 | grep -vE '^\s*$' | sed 's/^/[trunk] /' | tail -n 5

# The app for a static host or CDN, its API on another origin (README, "Hosting the web app elsewhere").
if [ -n "${RELIVE_API_BASE:-}" ]; then
  scripts/set-api-base.sh dist "$RELIVE_API_BASE"
fi

find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' \) |
  while read -r f; do
    brotli --force --keep --best "$f"
    gzip --force --keep --best "$f"
  done
scripts/web-size.sh
