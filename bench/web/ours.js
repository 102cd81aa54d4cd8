// Our remuxers (bench/media-wasm, built by build-wasm.sh) on the benchmark files, called
// from this page's thread: the build at opt-level 3 (pkg/) and the one at opt-level "z"
// as the app's workers are built (pkg-z/).
import init, * as o3 from '/out/pkg/relive_media_wasm_bench.js';
import initZ, * as oz from '/out/pkg-z/relive_media_wasm_bench.js';
import { fetchFlv, fetchTs, time } from '/web/timing.js';

const CHUNK = 64 * 1024;

/** Each 64 KiB chunk pushed from JS, each segment taken out as a Uint8Array. */
function chunked(r, bytes, finish) {
  let out = 0, segments = 0;
  const drain = () => {
    for (let s = r.next_segment(); s !== undefined; s = r.next_segment()) { out += s.byteLength; segments += 1; }
  };
  try {
    for (let off = 0; off < bytes.byteLength; off += CHUNK) {
      r.push(bytes.subarray(off, off + CHUNK));
      drain();
    }
    finish(r);
    drain();
  } finally {
    r.free();
  }
  return { bytes: out, segments };
}

/** Each 64 KiB chunk pushed from JS (copied in), the segments dropped inside wasm. */
function pushOnly(r, bytes, finish) {
  let out = 0;
  try {
    for (let off = 0; off < bytes.byteLength; off += CHUNK) out += r.push_drop(bytes.subarray(off, off + CHUNK));
    out += finish(r);
  } finally {
    r.free();
  }
  return { bytes: out, segments: null };
}

/**
 * What copying the segments out costs by itself: as many new Uint8Arrays of the same
 * sizes as the segments of a run (`sizes`), each filled from a source buffer, as
 * wasm-bindgen's glue does for a returned Vec<u8> (`getArrayU8FromWasm0(ptr, len).slice()`).
 */
function copyOut(src, sizes) {
  let out = 0;
  for (const n of sizes) { const a = src.slice(0, n); out += a.byteLength; }
  return { bytes: out, segments: sizes.length };
}

/** Sizes of the segments `r` makes of `bytes` in 64 KiB chunks. */
function segmentSizes(r, bytes, finish) {
  const sizes = [];
  const drain = () => { for (let s = r.next_segment(); s !== undefined; s = r.next_segment()) sizes.push(s.byteLength); };
  for (let off = 0; off < bytes.byteLength; off += CHUNK) { r.push(bytes.subarray(off, off + CHUNK)); drain(); }
  finish(r);
  drain();
  r.free();
  return sizes;
}

window.bench = async ({ runs, warmup, only }) => {
  await init();
  await initZ();
  const opts = { runs, warmup };
  const res = { ts: o3.has_ts() };
  if (only !== 'ts') {
    const flv = await fetchFlv();
    res.flvInput = flv.byteLength;
    res.flvChunked = await time(() => chunked(new o3.ChunkedRemuxer(), flv, (r) => r.finish()), opts);
    res.flvChunkedZ = await time(() => chunked(new oz.ChunkedRemuxer(), flv, (r) => r.finish()), opts);
    // The whole file copied into wasm memory once, then chunked inside (no segments leave it).
    res.flvOneCall = await time(() => ({ bytes: o3.remux(flv), segments: null }), opts);
    res.flvPushOnly = await time(() => pushOnly(new o3.ChunkedRemuxer(), flv, (r) => r.finish_drop()), opts);
    const sizes = segmentSizes(new o3.ChunkedRemuxer(), flv, (r) => r.finish());
    const src = new Uint8Array(Math.max(...sizes));
    res.flvCopyOut = await time(() => copyOut(src, sizes), opts);
  }
  if (only !== 'flv' && res.ts) {
    const ts = await fetchTs();
    res.tsInput = ts.byteLength;
    const begin = (r) => { r.begin_segment(0, 0); return r; };
    res.tsChunked = await time(() => chunked(begin(new o3.ChunkedTsRemuxer()), ts, (r) => r.end_segment()), opts);
    res.tsChunkedZ = await time(() => chunked(begin(new oz.ChunkedTsRemuxer()), ts, (r) => r.end_segment()), opts);
    res.tsOneCall = await time(() => ({ bytes: o3.remux_ts(ts), segments: null }), opts);
    res.tsPushOnly = await time(() => pushOnly(begin(new o3.ChunkedTsRemuxer()), ts, (r) => r.end_segment_drop()), opts);
    const sizes = segmentSizes(begin(new o3.ChunkedTsRemuxer()), ts, (r) => r.end_segment());
    const src = new Uint8Array(Math.max(...sizes));
    res.tsCopyOut = await time(() => copyOut(src, sizes), opts);
  }
  return res;
};
window.ready = true;
