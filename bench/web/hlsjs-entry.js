// hls.js's MPEG-TS → fragmented MP4 path without a <video> element, for the benchmark.
// Bundled by build-hlsjs.mjs from hls.js's own sources (src/), compiled to ES5 by
// TypeScript as its dist is (babel, ES5), since the dist exports only the player.
//
// - transmux(segments, {progressive}): its Transmuxer (TSDemuxer + MP4Remuxer) on the main
//   thread, driven as its TransmuxerInterface drives it with `enableWorker: false`: per
//   HLS segment, `push(data, null, chunkMeta, state)` for each chunk of it, then
//   `flush(chunkMeta)`. `progressive: true` (its progressive streaming) when a segment
//   comes in several chunks: without it, each push is demuxed as a whole segment.
// - workerMessages: what its TransmuxerInterface posts to its worker (dist/hls.worker.js,
//   its real worker build), for web/hlsjs.js to drive it the same way.
import Transmuxer, { TransmuxConfig, TransmuxState } from '../node_modules/hls.js/src/demux/transmuxer';
import { ChunkMetadata } from '../node_modules/hls.js/src/types/transmuxer';
import { stringify } from '../node_modules/hls.js/src/utils/safe-json-stringify';
import { getM2TSSupportedAudioTypes } from '../node_modules/hls.js/src/utils/codecs';
import { enableLogs } from '../node_modules/hls.js/src/utils/logger';
import { Events } from '../node_modules/hls.js/src/events';
import { EventEmitter } from 'eventemitter3';

/**
 * hls.js's default config (`defaults`: `Hls.DefaultConfig` of its dist, which the page
 * loads: the same object as its src/config.ts makes, without bundling every controller
 * it names), with `progressive` set.
 */
export function config(defaults, progressive) {
  return { ...defaults, progressive, debug: false };
}

/** `{bytes, segments}` of fragmented MP4 in one TransmuxerResult, added to `acc`. */
export function count(acc, result) {
  const r = result?.remuxResult;
  if (!r) return;
  const tracks = r.initSegment?.tracks;
  if (tracks) {
    for (const t of Object.values(tracks)) {
      if (t?.initSegment) { acc.bytes += t.initSegment.byteLength; acc.segments += 1; }
    }
  }
  for (const t of [r.audio, r.video]) {
    if (!t) continue;
    acc.bytes += (t.data1?.byteLength ?? 0) + (t.data2?.byteLength ?? 0);
    acc.segments += 1;
  }
}

/**
 * The state and metadata TransmuxerInterface.push makes for chunk `j` of segment `i`
 * (a VOD, one level, no discontinuity): the first chunk of the first segment starts a
 * new session (discontinuity, track switch, new init segment), every later one is contiguous.
 */
export function chunkArgs(i, j, size, timeOffset) {
  const first = i === 0 && j === 0;
  const meta = new ChunkMetadata(0, i, j + 1, size, -1, false);
  const state = new TransmuxState(first, !first, true, first, timeOffset, first);
  return { meta, state };
}

export function flushMeta(i, chunks) {
  return new ChunkMetadata(0, i, chunks + 1, 0, -1, false);
}

export function transmuxConfig(durationSec) {
  return new TransmuxConfig(undefined, undefined, undefined, durationSec, undefined);
}

export function typeSupported() {
  return getM2TSSupportedAudioTypes(false);
}

export { stringify };

/**
 * `segments`: [{start (s), chunks: [ArrayBuffer]}]. Runs them through one Transmuxer on
 * this thread; resolves to {bytes, segments} of fragmented MP4 produced.
 */
export async function transmux(segments, { defaults, progressive, durationSec }) {
  const cfg = config(defaults, progressive);
  const observer = new EventEmitter();
  let error = null;
  observer.on(Events.ERROR, (_e, data) => { error = new Error(`hls.js error: ${data.details} ${data.reason ?? ''}`); });
  const logger = enableLogs(false, 'bench');
  const tx = new Transmuxer(observer, typeSupported(), cfg, '', 'main', logger);
  tx.configure(transmuxConfig(durationSec));
  const acc = { bytes: 0, segments: 0 };
  for (let i = 0; i < segments.length; i++) {
    const { start, chunks } = segments[i];
    for (let j = 0; j < chunks.length; j++) {
      const { meta, state } = chunkArgs(i, j, chunks[j].byteLength, start);
      let r = tx.push(chunks[j], null, meta, state);
      if (r && typeof r.then === 'function') r = await r;
      count(acc, r);
    }
    let rs = tx.flush(flushMeta(i, chunks.length));
    if (rs && typeof rs.then === 'function') rs = await rs;
    for (const r of rs) count(acc, r);
    if (error) throw error;
  }
  tx.destroy();
  return acc;
}
