#!/usr/bin/env bash
# Builds bench/media-wasm (our remuxers as WebAssembly) into bench/.cache/web/pkg/:
# cargo (release, wasm32), wasm-bindgen --target web, then wasm-opt -O3 when binaryen's
# is installed (tools/node_modules, by scripts/setup.sh). With the `ts` feature (the
# MPEG-TS remuxer) when relive_media::ts::TsRemuxer exists; else FLV only, and says so.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
export PATH="$HOME/.cargo/bin:$ROOT/tools/node_modules/.bin:$PATH"
# Its own target dir: a build here does not wait on the main one's lock.
export CARGO_TARGET_DIR="$ROOT/target/bench-wasm"
OUT=.cache/web/pkg

build() { (cd media-wasm && cargo build --quiet --release --target wasm32-unknown-unknown "$@"); }
if grep -qs 'pub struct TsRemuxer' ../media/src/ts/*.rs; then
  if ! build --features ts; then
    echo "media-wasm: relive_media::ts::TsRemuxer did not build with the bench's bindings (above); building FLV only" >&2
    build
  fi
else
  echo "media-wasm: relive_media::ts::TsRemuxer does not exist yet: FLV only (no TS rows)" >&2
  build
fi
rm -rf "$OUT" && mkdir -p "$OUT"
wasm-bindgen --target web --out-dir "$OUT" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/relive_media_wasm_bench.wasm"
wasm=$OUT/relive_media_wasm_bench_bg.wasm
if command -v wasm-opt >/dev/null; then
  wasm-opt -O3 "$wasm" -o "$wasm.opt" && mv "$wasm.opt" "$wasm"
else
  echo "wasm-opt not found (scripts/setup.sh installs it into tools/): the .wasm is not optimised further" >&2
fi
