// Test recordings made with ffmpeg (H.264 yuv420p + AAC), each made once and cached in
// e2e/.cache (delete it to make them again). Every maker writes into a temporary name and
// renames when done, so an interrupted run never leaves half a file in the cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, cpSync, readFileSync, writeFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, basename } from 'node:path';

const CACHE = join(import.meta.dirname, '..', '.cache');

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25'];
const tone = (hz) => ['-f', 'lavfi', '-i', `sine=frequency=${hz}:sample_rate=44100`];
const H264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
const AAC = ['-c:a', 'aac', '-b:a', '48k'];

const ffmpeg = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

/** `name` in the cache, made by `build(tmpPath)` if it is not there yet. */
function cached(name, build) {
  const out = join(CACHE, name);
  if (!existsSync(out)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = join(CACHE, `.tmp-${process.pid}-${name}`);
    rmSync(tmp, { recursive: true, force: true });
    build(tmp);
    renameSync(tmp, out);
  }
  return out;
}

/** Makes `name` once: `seconds` of a 320x180 test pattern with a tone, H.264 + AAC. */
function make(name, seconds, gop, extra, { video = true } = {}) {
  return cached(name, (tmp) => ffmpeg([
    ...(video ? VIDEO : []), ...tone(523), '-t', String(seconds),
    ...(video ? [...H264, '-g', String(gop)] : []), ...AAC, ...extra,
    // The temporary name has no extension for ffmpeg to guess from: say the format.
    '-f', name.endsWith('.mp4') ? 'mp4' : name.endsWith('.flv') ? 'flv' : 'adts', tmp,
  ]));
}

/** A `seconds`-long MP4 (moov first), made once. */
export function testMp4(seconds = 60) {
  return make(`clock-${seconds}s.mp4`, seconds, 25, ['-movflags', '+faststart']);
}

/**
 * A `seconds`-long FLV or MP4 (moov first; by the name's extension) of about 1.5 Mbit/s
 * (640x360, noise): too big for a browser or the player to have fetched whole a minute
 * in (Firefox keeps media under 8 MB in memory in one go; the network buffers a few MB
 * ahead of a stream's reader), so a seek far ahead is a new request, as with real
 * recordings.
 */
export function testHeavy(name, seconds = 120) {
  const mp4 = name.endsWith('.mp4');
  return cached(`noise-${seconds}s-${name}`, (tmp) => ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', ...tone(523), '-t', String(seconds), '-vf', 'noise=alls=30:allf=t',
    ...H264, '-b:v', '1500k', '-maxrate', '1500k', '-bufsize', '3000k', '-g', '50', ...AAC,
    ...(mp4 ? ['-movflags', '+faststart'] : []), '-f', mp4 ? 'mp4' : 'flv', tmp,
  ]));
}

/** A `seconds`-long FLV as ffmpeg writes it by default: no keyframe index. */
export function testFlv(seconds = 60) {
  return make(`clock-${seconds}s.flv`, seconds, 50, []);
}

/** A `seconds`-long FLV with a keyframe index in its metadata (`keyframes` in onMetaData). */
export function testFlvIndexed(seconds = 60) {
  return make(`clock-${seconds}s-indexed.flv`, seconds, 50, ['-flvflags', 'add_keyframe_index']);
}

/** A `seconds`-long audio-only FLV (AAC, no video tags; its header says audio only). */
export function testFlvAudio(seconds = 60) {
  return make(`tone-${seconds}s.flv`, seconds, 0, [], { video: false });
}

/** A `seconds`-long audio-only AAC file (ADTS), as Tencent's `aac` recordings are. */
export function testAac(seconds = 60) {
  return make(`tone-${seconds}s.aac`, seconds, 0, [], { video: false });
}

/** Puts a file into the server's media dir; returns its absolute URL on that server. */
export function publish(server, file, name) {
  const dir = join(server.dir, 'media', 'test');
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, name));
  return `${server.base}/media/test/${name}`;
}

// --- HLS ------------------------------------------------------------------------------
// Each HLS maker returns { dir, playlist, segments, duration, … }: the folder in the cache,
// the absolute path of its playlist (`index.m3u8`, a VOD: EXT-X-PLAYLIST-TYPE:VOD and
// EXT-X-ENDLIST), its segment file names in playlist order, and the seconds it lasts.
// `publishHls(server, hls, name)` copies one into the server's media dir and gives the
// playlist's URL. Segments are MPEG-TS of 4 s (a keyframe every 2 s), H.264 + AAC.

/** Encodes `seconds` of HLS into `dir` with segment names `prefix%d.ts`; returns the playlist text. */
function encodeHls(dir, { seconds, prefix = 'seg', hz = 523, extra = [] }) {
  mkdirSync(dir, { recursive: true });
  ffmpeg([
    ...VIDEO, ...tone(hz), '-t', String(seconds),
    ...H264, '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', ...AAC, ...extra,
    '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', join(dir, `${prefix}%d.ts`), join(dir, `${prefix}.m3u8`),
  ]);
  const text = readFileSync(join(dir, `${prefix}.m3u8`), 'utf8');
  rmSync(join(dir, `${prefix}.m3u8`));
  return text;
}

/** The media lines of a playlist: [{ extinf, uri }], and its target duration. */
function parsePlaylist(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const entries = [];
  let target = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#EXT-X-TARGETDURATION:')) target = Number(lines[i].split(':')[1]);
    if (lines[i].startsWith('#EXTINF:')) entries.push({ extinf: lines[i], uri: lines[++i] });
  }
  return { entries, target };
}

const totalSeconds = (entries) => entries.reduce((s, e) => s + parseFloat(e.extinf.slice('#EXTINF:'.length)), 0);

/** Writes a VOD playlist of `parts` (lists of entries), with EXT-X-DISCONTINUITY between them. */
function writePlaylist(dir, parts, target) {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  parts.forEach((entries, i) => {
    if (i > 0) lines.push('#EXT-X-DISCONTINUITY');
    for (const e of entries) lines.push(e.extinf, e.uri);
  });
  lines.push('#EXT-X-ENDLIST', '');
  writeFileSync(join(dir, 'index.m3u8'), lines.join('\n'));
}

function describeHls(dir, extra = {}) {
  const { entries } = parsePlaylist(readFileSync(join(dir, 'index.m3u8'), 'utf8'));
  return { dir, playlist: join(dir, 'index.m3u8'), segments: entries.map((e) => e.uri), duration: totalSeconds(entries), ...extra };
}

/** The first packet's presentation time of a file, in seconds (ffprobe). */
function startTime(file) {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());
}

/** A plain HLS VOD of `seconds` (default 20: five segments). */
export function testHls(seconds = 20) {
  return describeHls(cached(`hls-${seconds}s`, (tmp) => {
    const { entries, target } = parsePlaylist(encodeHls(tmp, { seconds }));
    writePlaylist(tmp, [entries], target);
  }));
}

/**
 * Two encodes of `seconds / 2` each (a 523 Hz tone, then 880 Hz), the second one's
 * timestamps moved on by `jump` seconds (`-output_ts_offset`), in one playlist with
 * EXT-X-DISCONTINUITY between them. Also returns `discontinuityAt` (seconds into the
 * playlist where the second half starts) and `jump`.
 */
export function testHlsDiscontinuity(seconds = 20, jump = 100) {
  const half = seconds / 2;
  const dir = cached(`hls-${seconds}s-discontinuity-${jump}`, (tmp) => {
    const a = parsePlaylist(encodeHls(tmp, { seconds: half, prefix: 'a' }));
    const b = parsePlaylist(encodeHls(tmp, { seconds: half, prefix: 'b', hz: 880, extra: ['-output_ts_offset', String(jump)] }));
    writePlaylist(tmp, [a.entries, b.entries], Math.max(a.target, b.target));
  });
  const hls = describeHls(dir, { jump });
  hls.discontinuityAt = totalSeconds(parsePlaylist(readFileSync(hls.playlist, 'utf8')).entries.filter((e) => e.uri.startsWith('a')));
  return hls;
}

/**
 * An HLS VOD whose MPEG-TS timestamps cross 2^33 (90 kHz ticks, about 26.5 hours) and
 * wrap to 0 a few seconds in: its timestamps start at `offset` seconds. Also returns
 * `start` (the first segment's first timestamp, in seconds, as ffprobe reads it) and
 * `wrapsAt` (seconds into the playlist where the wrap happens).
 */
export function testHlsWrap(seconds = 20, offset = 95436) {
  const dir = cached(`hls-${seconds}s-wrap-${offset}`, (tmp) => {
    const { entries, target } = parsePlaylist(encodeHls(tmp, { seconds, extra: ['-output_ts_offset', String(offset)] }));
    writePlaylist(tmp, [entries], target);
  });
  const hls = describeHls(dir, { offset });
  // ffprobe reads a start this close to the wrap as negative (it corrects for the wrap).
  const wrap = 2 ** 33 / 90000;
  hls.start = ((startTime(join(dir, hls.segments[0])) % wrap) + wrap) % wrap;
  hls.wrapsAt = wrap - hls.start;
  return hls;
}

/**
 * An HLS VOD of fragmented-MP4 segments (`-hls_segment_type fmp4`): an `EXT-X-MAP` init
 * section (`init.mp4`) and `.m4s` segments, which the player passes through unremuxed.
 */
export function testHlsFmp4(seconds = 20) {
  return describeHls(cached(`hls-${seconds}s-fmp4`, (tmp) => {
    mkdirSync(tmp, { recursive: true });
    ffmpeg([
      ...VIDEO, ...tone(523), '-t', String(seconds),
      ...H264, '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', ...AAC,
      '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
      '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(tmp, 'seg%d.m4s'), join(tmp, 'index.m3u8'),
    ]);
  }));
}

/**
 * A playlist of `hours` of media made of one 4 s segment of `testHls(20)` over and over,
 * EXT-X-DISCONTINUITY between each (their timestamps repeat): a long broadcast's playlist
 * without hours of encoding.
 */
export function testHlsLong(hours = 3) {
  const plain = testHls(20);
  return describeHls(cached(`hls-long-${hours}h`, (tmp) => {
    mkdirSync(tmp, { recursive: true });
    copyFileSync(join(plain.dir, plain.segments[0]), join(tmp, 'seg.ts'));
    const entries = Array.from({ length: (hours * 3600) / 4 }, () => [{ extinf: '#EXTINF:4.000000,', uri: 'seg.ts' }]);
    writePlaylist(tmp, entries, 4);
  }));
}

/** A copy of `testHls(seconds)` made by `change(tmpDir, hls)` (a broken segment, say). */
function variant(name, seconds, change) {
  const plain = testHls(seconds);
  return cached(`hls-${seconds}s-${name}`, (tmp) => {
    cpSync(plain.dir, tmp, { recursive: true });
    change(tmp, plain);
  });
}

/**
 * `testHls(seconds)` with segment `index` (default 1, the second) corrupt: the middle half
 * of its bytes overwritten with garbage (a fixed pseudo-random sequence, so TS packet sync
 * bytes, PES headers and H.264 data all break). Also returns `corrupt`: that segment's name.
 */
export function testHlsCorrupt(seconds = 20, index = 1) {
  const dir = variant(`corrupt${index}`, seconds, (tmp, plain) => {
    const file = join(tmp, plain.segments[index]);
    const bytes = readFileSync(file);
    let x = 0x2545f491;
    for (let i = Math.floor(bytes.length / 4); i < Math.floor((bytes.length * 3) / 4); i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift32
      bytes[i] = x & 0xff;
    }
    writeFileSync(file, bytes);
  });
  return describeHls(dir, { corrupt: testHls(seconds).segments[index] });
}

/**
 * `testHls(seconds)` with segment `index` (default 1) deleted after the playlist was made:
 * the server answers 404 for it. Also returns `missing`: that segment's name.
 */
export function testHlsMissingSegment(seconds = 20, index = 1) {
  const dir = variant(`missing${index}`, seconds, (tmp, plain) => rmSync(join(tmp, plain.segments[index])));
  return describeHls(dir, { missing: testHls(seconds).segments[index] });
}

/** Copies an HLS folder into the server's media dir as `name/`; returns its playlist's URL. */
export function publishHls(server, hls, name) {
  const dir = join(server.dir, 'media', 'test', name);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(hls.dir)) copyFileSync(join(hls.dir, f), join(dir, f));
  return `${server.base}/media/test/${name}/${basename(hls.playlist)}`;
}

// --- Colours ---------------------------------------------------------------------------
// Solid colours, so a test can tell which part of a broadcast is on screen by sampling a
// pixel. Each colour's [r, g, b] as the browser draws it (roughly: yuv420p rounds).

export const COLOURS = { red: [255, 0, 0], lime: [0, 255, 0], blue: [0, 0, 255], white: [255, 255, 255] };

/**
 * The ffmpeg input arguments of `seconds` of each colour in turn (with a tone), concatenated,
 * cut at `total` seconds; `realtime`: every input read at its own pace (`-re` is per input),
 * for a push.
 */
export function colourInputs(colours, seconds, total = colours.length * seconds, { realtime = false } = {}) {
  const re = realtime ? ['-re'] : [];
  const inputs = colours.flatMap((c) => [...re, '-f', 'lavfi', '-i', `color=c=${c}:size=320x180:rate=25:duration=${seconds}`]);
  const concat = `${colours.map((_, i) => `[${i}:v]`).join('')}concat=n=${colours.length}:v=1:a=0,format=yuv420p[v]`;
  return [...inputs, ...re, ...tone(523), '-filter_complex', concat, '-map', '[v]', '-map', `${colours.length}:a`, '-t', String(total)];
}

/** A file of `seconds` of each colour, FLV or MP4 by its name; MP4s keep moov at the end unless `faststart`. */
export function testColours(name, colours, seconds, { faststart = false } = {}) {
  return cached(name, (tmp) => ffmpeg([
    ...colourInputs(colours, seconds), ...H264, '-g', '25', ...AAC,
    ...(faststart ? ['-movflags', '+faststart'] : []),
    '-f', name.endsWith('.mp4') ? 'mp4' : 'flv', tmp,
  ]));
}

/** An HLS VOD (4-second TS segments) of `seconds` of each colour; described like the other HLS makers. */
export function testColoursHls(name, colours, seconds) {
  const dir = cached(name, (tmp) => {
    mkdirSync(tmp, { recursive: true });
    ffmpeg([
      ...colourInputs(colours, seconds), ...H264, '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', ...AAC,
      '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod',
      '-hls_segment_filename', join(tmp, 'seg%d.ts'), join(tmp, 'index.m3u8'),
    ]);
  });
  return describeHls(dir);
}

/**
 * In the page: the colour at the centre of the player's video (drawn into a canvas),
 * as the name in COLOURS nearest to it.
 */
export const SAMPLE_COLOUR = `(() => {
  const v = document.querySelector('.player video');
  const c = document.createElement('canvas');
  c.width = 32; c.height = 18;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0, 32, 18);
  const [r, gr, b] = g.getImageData(16, 9, 1, 1).data;
  const colours = ${JSON.stringify({ red: [255, 0, 0], lime: [0, 255, 0], blue: [0, 0, 255], white: [255, 255, 255] })};
  let best = null, dist = Infinity;
  for (const [name, [R, G, B]] of Object.entries(colours)) {
    const d = (r - R) ** 2 + (gr - G) ** 2 + (b - B) ** 2;
    if (d < dist) { dist = d; best = name; }
  }
  return best;
})()`;
