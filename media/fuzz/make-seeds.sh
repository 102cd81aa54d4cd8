#!/usr/bin/env bash
# Remakes seeds/remux/ (committed): tiny FLVs made by ffmpeg, plus the first 20 KB of
# the nginx-rtmp recording in ../tests/data. Each seed is the fuzz target's input:
# a flags byte and chunk sizes (see fuzz_targets/remux.rs), then the FLV.
# And seeds/ts/: tiny MPEG-TS files, behind a flags byte, a segments byte and chunk
# sizes (see fuzz_targets/ts.rs). And seeds/mp4/: tiny MP4s, behind a flags byte, a seek
# byte and chunk sizes (see fuzz_targets/mp4.rs).
#
# ./make-seeds.sh remakes them all; ./make-seeds.sh mp4 (or remux, ts) only those.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want() { [ -z "$targets" ] || [[ " $targets " == *" $1 "* ]]; }
targets="$*"
out=seeds/remux

video=(-f lavfi -i "testsrc2=size=64x64:rate=10")
audio=(-f lavfi -i "sine=frequency=440:sample_rate=22050")
venc=(-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 5 -bf 2)
aenc=(-c:a aac -b:a 24k -ac 1)
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

if want remux; then
mkdir -p "$out"
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
fi

# MPEG-TS: H.264 (B-frames) + AAC; audio only; timestamps crossing 2^33 after 0.3 s;
# HEVC and MP2 (refused by name); three 0.5 s HLS segments joined.
if want ts; then
ts=seeds/ts
mkdir -p "$ts"
ff "${video[@]}" "${audio[@]}" -t 1 "${venc[@]}" "${aenc[@]}" -f mpegts "$tmp/av.ts"
ff "${audio[@]}" -t 1 "${aenc[@]}" -f mpegts "$tmp/audio.ts"
ff -i "$tmp/av.ts" -c copy -output_ts_offset 95442 -f mpegts "$tmp/wrap.ts"
ff "${video[@]}" -t 0.5 -c:v libx265 -x265-params log-level=error -f mpegts "$tmp/hevc.ts"
ff "${video[@]}" "${audio[@]}" -t 0.5 "${venc[@]}" -c:a mp2 -f mpegts "$tmp/mp2.ts"
ff "${video[@]}" "${audio[@]}" -t 1.5 "${venc[@]}" "${aenc[@]}" -f hls -hls_time 0.5 \
  -hls_segment_filename "$tmp/seg%d.ts" "$tmp/index.m3u8"
cat "$tmp"/seg0.ts "$tmp"/seg1.ts "$tmp"/seg2.ts > "$tmp/hls.ts"

# tseed NAME PREFIX-HEX: PREFIX, then the TS.
tseed() { { printf "$(sed 's/../\\x&/g' <<< "$2")"; cat "$tmp/$1.ts"; } > "$ts/$1"; }
tseed av 0000ff          # one segment, 256-byte chunks
tseed audio 0100000c     # 1- and 13-byte chunks in turn
tseed wrap 0000bb        # 188-byte chunks
tseed hevc 1000ff        # go on after errors
tseed mp2 20003f         # output after each push
tseed hls 4a0a1f         # 2048-byte chunks, a new segment every 10 chunks; empty pushes
ls -l "$ts"
fi

# MP4: 1-second H.264 (B-frames) + AAC with the moov first (faststart) and at the end;
# audio only; HEVC (refused by name); fragmented (its moov has no samples: refused).
if want mp4; then
mp=seeds/mp4
mkdir -p "$mp"
ff "${video[@]}" "${audio[@]}" -t 1 "${venc[@]}" "${aenc[@]}" -movflags +faststart "$tmp/faststart.mp4"
ff "${video[@]}" "${audio[@]}" -t 1 "${venc[@]}" "${aenc[@]}" "$tmp/at-end.mp4"
ff "${audio[@]}" -t 1 "${aenc[@]}" "$tmp/audio.mp4"
ff "${video[@]}" -t 0.5 -c:v libx265 -x265-params log-level=error "$tmp/hevc.mp4"
ff "${video[@]}" "${audio[@]}" -t 1 "${venc[@]}" "${aenc[@]}" -movflags frag_keyframe+empty_moov "$tmp/fragmented.mp4"

# mseed NAME PREFIX-HEX: PREFIX, then the MP4.
mseed() { { printf "$(sed 's/../\\x&/g' <<< "$2")"; cat "$tmp/$1.mp4"; } > "$mp/$1"; }
mseed faststart 0000ff     # from the start, 256-byte chunks
mseed at-end 01810c40      # 13- and 65-byte chunks; after 4 chunks, seek to the first point
mseed audio 20033f         # from the third point, 64-byte chunks, output after each push
mseed hevc 0800ff          # empty pushes
mseed fragmented 50010f    # 1024-byte chunks, a time offset, from the first point
ls -l "$mp"
fi
