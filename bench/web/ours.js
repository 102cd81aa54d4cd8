// Our remuxer (bench/media-wasm, built by build-wasm.sh) on the benchmark FLV.
import init, { remux, ChunkedRemuxer } from '/out/pkg/relive_media_wasm_bench.js';
import { fetchFlv, time } from '/web/timing.js';

const CHUNK = 64 * 1024;

/** As a player: each 64 KiB chunk pushed from JS, each segment taken out as a Uint8Array. */
function chunked(flv) {
  const r = new ChunkedRemuxer();
  let bytes = 0, segments = 0;
  const drain = () => {
    for (let s = r.next_segment(); s !== undefined; s = r.next_segment()) { bytes += s.byteLength; segments += 1; }
  };
  try {
    for (let off = 0; off < flv.byteLength; off += CHUNK) {
      r.push(flv.subarray(off, off + CHUNK));
      drain();
    }
    r.finish();
    drain();
  } finally {
    r.free();
  }
  return { bytes, segments };
}

window.bench = async ({ runs, warmup }) => {
  await init();
  const flv = await fetchFlv();
  const js = await time(() => chunked(flv), { runs, warmup });
  // The whole file copied into wasm memory once, then chunked inside (no segments leave it).
  const one = await time(() => ({ bytes: remux(flv), segments: null }), { runs, warmup });
  return { input: flv.byteLength, chunked: js, oneCall: one };
};
window.ready = true;
