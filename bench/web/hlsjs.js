// hls.js's MPEG-TS transmuxer on the benchmark files: on this thread (its Transmuxer,
// bundled by build-hlsjs.mjs from its src/) and in its worker (dist/hls.worker.js, its own
// build of the worker it runs with `enableWorker: true`, the default), driven with the
// messages its TransmuxerInterface posts: `init` (its config, stringified), `configure`,
// then per HLS segment a `demux` per chunk (the buffer transferred) and `flush`; the next
// segment once `flush` came back, as its stream controller waits for a fragment to be
// parsed. Its `transmuxComplete` results come back to this thread and are counted.
import * as H from '/out/hlsjs-bench.js';
import { fetchTs, fetchHls, cut, time } from '/web/timing.js';

const CHUNK = 64 * 1024;
const defaults = window.Hls.DefaultConfig;

function startWorker(progressive, durationSec) {
  return new Promise((resolve, reject) => {
    const w = new Worker('/hls/hls.worker.js');
    w.onerror = (e) => reject(new Error(`hls.worker.js: ${e.message}`));
    w.onmessage = (e) => {
      if (e.data?.event !== 'init') return;
      w.postMessage({ instanceNo: 0, cmd: 'configure', config: H.transmuxConfig(durationSec) });
      resolve(w);
    };
    w.postMessage({ instanceNo: 0, cmd: 'init', typeSupported: H.typeSupported(), id: 'main',
      config: H.stringify(H.config(defaults, progressive)) });
  });
}

/** `segments`: [{start (s), chunks: [ArrayBuffer]}]; resolves to {bytes, segments}. */
function drive(w, segments) {
  return new Promise((resolve, reject) => {
    const acc = { bytes: 0, segments: 0 };
    let s = 0;
    const send = () => {
      const { start, chunks } = segments[s];
      chunks.forEach((data, j) => {
        const { meta, state } = H.chunkArgs(s, j, data.byteLength, start);
        w.postMessage({ instanceNo: 0, cmd: 'demux', data, decryptdata: null, chunkMeta: meta, state }, [data]);
      });
      w.postMessage({ instanceNo: 0, cmd: 'flush', chunkMeta: H.flushMeta(s, chunks.length) });
    };
    w.onmessage = (e) => {
      const m = e.data;
      switch (m.event) {
        case 'transmuxComplete': H.count(acc, m.data); break;
        case 'hlsError': reject(new Error(`hls.js worker: ${m.data?.details} ${m.data?.reason ?? ''}`)); break;
        case 'flush':
          if (++s === segments.length) resolve(acc);
          else send();
          break;
        default: break; // workerLog
      }
    };
    send();
  });
}

async function timeWorker(makeSegments, { progressive, durationSec }, opts) {
  let worker = null;
  return time(async (segments) => {
    try { return await drive(worker, segments); } finally { worker.terminate(); }
  }, opts, async () => {
    worker = await startWorker(progressive, durationSec);
    return makeSegments();
  });
}

window.bench = async ({ runs, warmup }) => {
  const opts = { runs, warmup };
  const ts = await fetchTs();
  const hls = await fetchHls('big-hls');
  const duration = hls.reduce((d, s) => d + s.duration, 0);
  const res = { tsInput: ts.byteLength, hlsInput: hls.reduce((n, s) => n + s.bytes.byteLength, 0), hlsSegments: hls.length };
  // The same 64 KiB chunks as ours, one stream: its progressive mode.
  const chunks = cut(ts, CHUNK);
  res.main = await time(() => H.transmux([{ start: 0, chunks }], { defaults, progressive: true, durationSec: duration }), opts);
  res.workerStream = await timeWorker(() => [{ start: 0, chunks: cut(ts, CHUNK) }], { progressive: true, durationSec: duration }, opts);
  // As its player by default: each segment whole (progressive off), in its worker.
  res.workerSegments = await timeWorker(() => hls.map((s) => ({ start: s.start, chunks: [s.bytes.slice().buffer] })),
    { progressive: false, durationSec: duration }, opts);
  const whole = hls.map((s) => ({ start: s.start, chunks: [s.bytes.slice().buffer] }));
  res.mainSegments = await time(() => H.transmux(whole, { defaults, progressive: false, durationSec: duration }), opts);
  return res;
};
window.ready = true;
