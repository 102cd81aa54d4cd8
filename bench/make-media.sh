#!/usr/bin/env bash
# Makes the benchmark recordings with ffmpeg, each only if missing, in bench/.cache/:
#   big.flv          ~4 minutes of 1280x720 H.264 (yuv420p) + AAC at ~5 Mbit/s: > 100 MB,
#                    for throughput (criterion, and in the browser: ours vs mpegts.js).
#   long-noindex.flv 30 minutes of 320x180 H.264 + AAC, with NO keyframe index in its
#                    onMetaData (ffmpeg's default), for seek benchmarks.
#   big.ts           big.flv's streams copied into one MPEG-TS (> 100 MB), for the TS
#                    remux throughput (ours vs hls.js), fed as one stream in chunks.
#   big-hls/         the same copied into an HLS VOD of 4 s segments (index.m3u8 +
#                    seg000.ts ...), for the throughput of whole segments, as players get them.
#   long720.flv      10 minutes of 1280x720 30 fps H.264 (yuv420p) + AAC at ~3 Mbit/s,
#                    for the players' first frame from play() (FLV).
#   long720-hls/     long720.flv's streams copied into an HLS VOD of 4 s segments, for
#                    the HLS player benchmarks (first frame, seek to 75 %).
# Files are written under a temporary name and renamed when complete, so an interrupted
# run never leaves a truncated file that looks finished.
set -euo pipefail
cd "$(dirname "$0")"
CACHE=.cache
mkdir -p "$CACHE"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

make_file() { # name, then ffmpeg arguments up to the output (an FLV)
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

make_file long720.flv \
  -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=8:allf=t" \
  -f lavfi -i "sine=frequency=330:sample_rate=48000" \
  -t 600 \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 60 \
  -b:v 3M -maxrate 3M -bufsize 6M \
  -c:a aac -b:a 128k -ac 2

# MPEG-TS and HLS copies: no encoding, seconds each.
size_of() { du -sb "$1" | cut -f1; }

make_ts() { # name, source FLV
  local out="$CACHE/$1" src="$CACHE/$2"
  if [ -s "$out" ]; then
    printf '%-18s %6d MB (cached)\n' "$1" $(( $(size_of "$out") / 1000000 ))
    return
  fi
  ff -i "$src" -map 0 -c copy -f mpegts "$out.part"
  mv "$out.part" "$out"
  printf '%-18s %6d MB (made from %s)\n' "$1" $(( $(size_of "$out") / 1000000 )) "$2"
}

make_hls() { # folder name, source FLV: index.m3u8 + seg000.ts ..., 4 s segments, VOD
  local out="$CACHE/$1" src="$CACHE/$2"
  if [ -s "$out/index.m3u8" ]; then
    printf '%-18s %6d MB (cached)\n' "$1/" $(( $(size_of "$out") / 1000000 ))
    return
  fi
  rm -rf "$out.part" && mkdir -p "$out.part"
  ff -i "$src" -map 0 -c copy -f hls -hls_time 4 -hls_playlist_type vod \
    -hls_segment_filename "$out.part/seg%03d.ts" "$out.part/index.m3u8"
  rm -rf "$out" && mv "$out.part" "$out"
  printf '%-18s %6d MB (made from %s: %d segments)\n' "$1/" $(( $(size_of "$out") / 1000000 )) "$2" \
    "$(grep -c '^seg' "$out/index.m3u8")"
}

make_ts big.ts big.flv
make_hls big-hls big.flv
make_hls long720-hls long720.flv
