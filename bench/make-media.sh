#!/usr/bin/env bash
# Makes the benchmark recordings with ffmpeg, each only if missing, in bench/.cache/:
#   big.flv          ~4 minutes of 1280x720 H.264 (yuv420p) + AAC at ~5 Mbit/s: > 100 MB,
#                    for throughput (criterion, and in the browser: ours vs mpegts.js).
#   long-noindex.flv 30 minutes of 320x180 H.264 + AAC, with NO keyframe index in its
#                    onMetaData (ffmpeg's default), for seek benchmarks.
# Files are written under a temporary name and renamed when complete, so an interrupted
# run never leaves a truncated file that looks finished.
set -euo pipefail
cd "$(dirname "$0")"
CACHE=.cache
mkdir -p "$CACHE"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

make_file() { # name, then ffmpeg arguments up to the output
  local name=$1; shift
  local out="$CACHE/$name"
  if [ -s "$out" ]; then
    printf '%-18s %6d MB (cached)\n' "$name" $(( $(stat -c %s "$out") / 1000000 ))
    return
  fi
  echo "making $out ..."
  local start=$SECONDS
  ff "$@" -f flv "$out.part"
  mv "$out.part" "$out"
  printf '%-18s %6d MB (made in %d s)\n' "$name" $(( $(stat -c %s "$out") / 1000000 )) $((SECONDS - start))
}

# Noise on every frame keeps x264 from compressing the test pattern to almost nothing,
# so the bitrate target is really reached. ultrafast: the machine has 2 cores.
make_file big.flv \
  -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t 240 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 60 \
  -b:v 5M -maxrate 5M -bufsize 10M \
  -c:a aac -b:a 128k -ac 2

make_file long-noindex.flv \
  -f lavfi -i "testsrc2=size=320x180:rate=25" \
  -f lavfi -i "sine=frequency=523:sample_rate=44100" \
  -t 1800 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 50 -b:v 300k \
  -c:a aac -b:a 64k
