#!/usr/bin/env bash
# Builds bench/media-wasm (our remuxers as WebAssembly) twice, each with cargo (release,
# wasm32), wasm-bindgen --target web and wasm-opt when binaryen's is installed
# (tools/node_modules, by scripts/setup.sh):
#   .cache/web/pkg/    opt-level 3, wasm-opt -O3 (fast over small: the benchmark's own build)
#   .cache/web/pkg-z/  opt-level "z", wasm-opt -Oz, as the app builds its workers
#                      (Cargo.toml's wasm-release profile, data-wasm-opt="z" in index.html)
# With the `ts` feature (the MPEG-TS remuxer) when relive_media::ts::TsRemuxer exists;
# else FLV only, and says so.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
export PATH="$HOME/.cargo/bin:$ROOT/tools/node_modules/.bin:$PATH"

features=()
if grep -qs 'pub struct TsRemuxer' ../media/src/ts/*.rs; then
  features=(--features ts)
else
  echo "media-wasm: relive_media::ts::TsRemuxer does not exist yet: FLV only (no TS rows)" >&2
fi

one() { # out dir, target dir (its own: a build here does not wait on the main one's lock), opt-level, wasm-opt level
  local out=$1 target=$2 level=$3 wopt=$4
  export CARGO_TARGET_DIR="$ROOT/target/$target" CARGO_PROFILE_RELEASE_OPT_LEVEL=$level
  build() { (cd media-wasm && cargo build --quiet --release --target wasm32-unknown-unknown "$@"); }
  if [ ${#features[@]} -gt 0 ] && ! build "${features[@]}"; then
    echo "media-wasm: relive_media::ts::TsRemuxer did not build with the bench's bindings (above); building FLV only" >&2
    features=()
  fi
  [ ${#features[@]} -gt 0 ] || build
  rm -rf "$out" && mkdir -p "$out"
  wasm-bindgen --target web --out-dir "$out" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/relive_media_wasm_bench.wasm"
  local wasm=$out/relive_media_wasm_bench_bg.wasm
  if command -v wasm-opt >/dev/null; then
    wasm-opt "$wopt" "$wasm" -o "$wasm.opt" && mv "$wasm.opt" "$wasm"
  else
    echo "wasm-opt not found (scripts/setup.sh installs it into tools/): the .wasm is not optimised further" >&2
  fi
}

one .cache/web/pkg bench-wasm 3 -O3
one .cache/web/pkg-z bench-wasm-z z -Oz
