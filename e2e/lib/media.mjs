// Test recordings made with ffmpeg (H.264 yuv420p + AAC), cached in e2e/.cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = join(import.meta.dirname, '..', '.cache');

/** Makes `name` once: `seconds` of a 320x180 test pattern with a tone, H.264 + AAC. */
function make(name, seconds, gop, extra) {
  const file = join(CACHE, name);
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=523:sample_rate=44100',
      '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(gop),
      '-c:a', 'aac', '-b:a', '48k', ...extra, file,
    ]);
  }
  return file;
}

/** A `seconds`-long MP4 (moov first), made once. */
export function testMp4(seconds = 60) {
  return make(`clock-${seconds}s.mp4`, seconds, 25, ['-movflags', '+faststart']);
}

/** Puts a file into the server's media dir; returns its absolute URL on that server. */
export function publish(server, file, name) {
  const dir = join(server.dir, 'media', 'test');
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, name));
  return `${server.base}/media/test/${name}`;
}

/** A `seconds`-long FLV as ffmpeg writes it by default: no keyframe index. */
export function testFlv(seconds = 60) {
  return make(`clock-${seconds}s.flv`, seconds, 50, []);
}
