// mpegts.js's transmuxer (bundled by build-mpegts.mjs) on the benchmark FLV.
import { transmux, bare } from '/out/mpegts-bench.js';
import { fetchFlv, time } from '/web/timing.js';

const CHUNK = 64 * 1024;

window.bench = async ({ runs, warmup, only }) => {
  if (only === 'ts') return null;
  const flv = await fetchFlv();
  // Its loaders hand over each network chunk as its own ArrayBuffer: cut them up front,
  // outside the timing (ours gets views of one buffer, also for free).
  const chunks = [];
  for (let off = 0; off < flv.byteLength; off += CHUNK) chunks.push(flv.buffer.slice(off, Math.min(off + CHUNK, flv.byteLength)));
  const controller = await time(() => transmux(chunks), { runs, warmup });
  const demuxRemux = await time(() => bare(chunks), { runs, warmup });
  return { input: flv.byteLength, controller, bare: demuxRemux };
};
window.ready = true;
