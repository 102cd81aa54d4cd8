#!/usr/bin/env bash
# Remakes seeds/remux/ (committed): tiny FLVs made by ffmpeg, plus the first 20 KB of
# the nginx-rtmp recording in ../tests/data. Each seed is the fuzz target's input:
# a flags byte and chunk sizes (see fuzz_targets/remux.rs), then the FLV.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=seeds/remux
mkdir -p "$out"

video=(-f lavfi -i "testsrc2=size=64x64:rate=10")
audio=(-f lavfi -i "sine=frequency=440:sample_rate=22050")
venc=(-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 5 -bf 2)
aenc=(-c:a aac -b:a 24k -ac 1)
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
ff "${video[@]}" "${audio[@]}" -t 1 "${venc[@]}" "${aenc[@]}" "$tmp/av.flv"
ff "${audio[@]}" -t 1 "${aenc[@]}" "$tmp/audio.flv"
ff "${video[@]}" -t 1 "${venc[@]}" "$tmp/video.flv"
ff "${video[@]}" "${audio[@]}" -t 1 "${venc[@]}" "${aenc[@]}" -flvflags add_keyframe_index "$tmp/av-indexed.flv"
head -c 20480 ../tests/data/nginx-rtmp.flv > "$tmp/nginx-rtmp-20k.flv"

# seed NAME PREFIX-HEX: PREFIX, then the FLV.
seed() { { printf "$(sed 's/../\\x&/g' <<< "$2")"; cat "$tmp/$1.flv"; } > "$out/$1"; }
seed av 00ff               # 256-byte chunks
seed audio 01000c          # 1- and 13-byte chunks in turn
seed video 403f            # 4096-byte chunks
seed av-indexed 3a09c706   # 10, 200, 7 bytes; empty pushes, go on after errors, output after each push
seed nginx-rtmp-20k 600f   # 1024-byte chunks, output after each push
ls -l "$out"
