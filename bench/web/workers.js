// Our remuxing workers exactly as the player runs them: the web app's own builds from
// dist/ (relive-file-worker, relive-ts-worker: trunk's loader, wasm at opt-level "z"),
// spoken to in the player's protocol (src/engine/protocol/): `push` messages with the
// chunk's buffer transferred, `finish`; for MPEG-TS a `segment` before each HLS segment.
// At most 512 KiB pushed and not yet answered by `pushed` (the player's MAX_IN_FLIGHT;
// the player then polls every 100 ms, this page posts the next chunk at once). Every
// `init`/`media` segment comes back to this thread (transferred) and is counted, and its
// buffer handed back (`recycle`), as the player does once it has appended it.
import { fetchFlv, fetchTs, fetchHls, cut, time } from '/web/timing.js';

const CHUNK = 64 * 1024;
const MAX_IN_FLIGHT = 512 * 1024;

function startWorker(url) {
  return new Promise((resolve, reject) => {
    const w = new Worker(url);
    w.onerror = (e) => reject(new Error(`${url}: ${e.message}`));
    w.onmessage = (e) => { if (e.data?.type === 'ready') resolve(w); };
  });
}

/**
 * `segments`: [{start (ms), chunks: [ArrayBuffer]}], or for FLV one with `start: null`.
 * Each segment's chunks go in (≤ MAX_IN_FLIGHT unanswered), then `finish`; the next
 * segment starts when `done` came back. Resolves to {bytes, segments} received.
 */
function drive(w, segments) {
  return new Promise((resolve, reject) => {
    const acc = { bytes: 0, segments: 0 };
    let s = 0, i = 0, inFlight = 0, finished = false;
    const sizes = [];
    const pump = () => {
      const seg = segments[s];
      if (i === 0 && !finished && seg.start !== null && !seg.begun) {
        seg.begun = true;
        w.postMessage({ type: 'segment', start: seg.start, disc: 0 });
      }
      while (i < seg.chunks.length && inFlight < MAX_IN_FLIGHT) {
        const data = new Uint8Array(seg.chunks[i++]);
        sizes.push(data.byteLength);
        inFlight += data.byteLength;
        w.postMessage({ type: 'push', data }, [data.buffer]);
      }
      if (i === seg.chunks.length && !finished) {
        finished = true;
        w.postMessage({ type: 'finish' });
      }
    };
    w.onmessage = (e) => {
      const m = e.data;
      switch (m.type) {
        case 'pushed': inFlight -= sizes.shift(); pump(); break;
        case 'init': case 'media':
          acc.bytes += m.data.byteLength; acc.segments += 1;
          // As the player does once it has appended a segment: its buffer goes back.
          w.postMessage({ type: 'recycle', data: m.data }, [m.data.buffer]);
          break;
        case 'error': reject(new Error(`worker: ${m.kind} ${m.message}`)); break;
        case 'done':
          if (++s === segments.length) resolve(acc);
          else { i = 0; finished = false; pump(); }
          break;
        default: break;
      }
    };
    pump();
  });
}

/** Times `drive` on a fresh worker per run (its start, and cutting the chunks, untimed). */
async function timeWorker(url, makeSegments, opts) {
  let worker = null;
  const r = await time(async (segments) => {
    try { return await drive(worker, segments); } finally { worker.terminate(); }
  }, opts, async () => {
    worker = await startWorker(url);
    return makeSegments();
  });
  return r;
}

/**
 * Times `drive` on one worker kept for every run (the warm-up run included): its wasm
 * tiered up by the later runs, where a fresh worker per run starts from baseline code.
 */
async function timeWorkerWarm(url, makeSegments, opts) {
  const worker = await startWorker(url);
  try {
    return await time((segments) => drive(worker, segments), opts, async () => makeSegments());
  } finally {
    worker.terminate();
  }
}

window.bench = async ({ runs, warmup, only, workers: have }) => {
  const opts = { runs, warmup };
  const res = {};
  const flvWorker = '/dist/relive-file-worker_loader.js';
  const tsWorker = '/dist/relive-ts-worker_loader.js';
  if (only !== 'ts' && have.flv) {
    const flv = await fetchFlv();
    res.flvInput = flv.byteLength;
    res.flvWorker = await timeWorker(flvWorker, () => [{ start: null, chunks: cut(flv, CHUNK) }], opts);
  }
  if (only !== 'flv' && have.ts) {
    const ts = await fetchTs();
    res.tsInput = ts.byteLength;
    res.tsWorkerStream = await timeWorker(tsWorker, () => [{ start: 0, chunks: cut(ts, CHUNK) }], opts);
    res.tsWorkerWarm = await timeWorkerWarm(tsWorker, () => [{ start: 0, chunks: cut(ts, CHUNK) }], opts);
    const hls = await fetchHls('big-hls');
    res.hlsInput = hls.reduce((n, s) => n + s.bytes.byteLength, 0);
    res.hlsSegments = hls.length;
    // As the HLS engine: each segment whole, in one push.
    res.tsWorkerSegments = await timeWorker(tsWorker,
      () => hls.map((s) => ({ start: Math.round(s.start * 1000), chunks: [s.bytes.slice().buffer] })), opts);
  }
  return res;
};
window.ready = true;
