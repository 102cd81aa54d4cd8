#!/usr/bin/env bash
# Regenerates the demo recordings the server seeds with `--demo` (they are committed,
# so `make run` needs no ffmpeg). H.264 (yuv420p, which browsers decode) + AAC.
set -euo pipefail
cd "$(dirname "$0")"
common=(-hide_banner -loglevel error -y)
enc=(-c:v libx264 -preset slow -profile:v main -pix_fmt yuv420p -b:v 90k -g 50 -c:a aac -b:a 32k -ac 1 -ar 44100 -t 20)
ffmpeg "${common[@]}" -f lavfi -i "testsrc2=size=640x360:rate=25" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
  "${enc[@]}" -movflags +faststart city-walk.mp4
ffmpeg "${common[@]}" -f lavfi -i "smptehdbars=size=640x360:rate=25" -f lavfi -i "sine=frequency=660:sample_rate=44100" \
  -vf "drawbox=x='mod(t*60,600)':y=150:w=40:h=40:color=white:t=fill" \
  "${enc[@]}" night-studio.flv
# HLS: a VOD playlist of five 4-second TS segments (the GOP of 2 s cuts them exactly).
rm -rf harbour && mkdir harbour
ffmpeg "${common[@]}" -f lavfi -i "testsrc=size=640x360:rate=25" -f lavfi -i "sine=frequency=550:sample_rate=44100" \
  "${enc[@]}" -f hls -hls_time 4 -hls_playlist_type vod -hls_segment_filename "harbour/harbour-%d.ts" harbour/index.m3u8
ls -l city-walk.mp4 night-studio.flv harbour/
# A broadcast in three parts (FLV, as a recorder cuts a push into files): 10 s each, the
# hue and the caption telling them apart (drawtext needs ffmpeg built with libfreetype);
# the demo lays them out with a gap before the last.
rm -rf relay && mkdir relay
for i in 0 1 2; do
  ffmpeg "${common[@]}" -f lavfi -i "testsrc2=size=640x360:rate=25" -f lavfi -i "sine=frequency=$((330 + i * 110)):sample_rate=44100" \
    -vf "hue=h=$((i * 120)),drawtext=text='part $((i + 1))':fontsize=48:fontcolor=white:x=20:y=20" \
    "${enc[@]}" -t 10 "relay/relay-$i.flv"
done
ls -l relay/
