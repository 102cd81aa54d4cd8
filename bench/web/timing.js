// Shared by the throughput pages: fetch the inputs once, then warm-up and timed runs.
export async function fetchBytes(path) {
  const res = await fetch(path);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export const fetchFlv = () => fetchBytes('/media/big.flv');
export const fetchTs = () => fetchBytes('/media/big.ts');

/** The HLS VOD at `/media/<dir>/index.m3u8`: [{start (s), duration (s), bytes}], in order. */
export async function fetchHls(dir) {
  const text = new TextDecoder().decode(await fetchBytes(`/media/${dir}/index.m3u8`));
  const out = [];
  let start = 0, duration = null;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('#EXTINF:')) duration = parseFloat(line.slice(8));
    else if (line && !line.startsWith('#')) {
      out.push({ start, duration, bytes: await fetchBytes(`/media/${dir}/${line}`) });
      start += duration;
    }
  }
  return out;
}

/** `bytes` cut into `size`-byte ArrayBuffers of their own (what a loader hands over). */
export function cut(bytes, size) {
  const chunks = [];
  for (let off = 0; off < bytes.byteLength; off += size) chunks.push(bytes.slice(off, off + size).buffer);
  return chunks;
}

/**
 * Runs `fn` `warmup` + `runs` times; the timed runs' milliseconds and the last result.
 * `prepare()`, untimed, makes each run's input (buffers a run transfers are gone after it).
 */
export async function time(fn, { runs, warmup }, prepare = () => undefined) {
  const ms = [];
  let result;
  for (let i = 0; i < warmup + runs; i++) {
    const input = await prepare();
    globalThis.gc?.(); // Chromium started with --expose-gc: no run pays for the last one's garbage
    const t0 = performance.now();
    result = await fn(input);
    const t1 = performance.now();
    if (i >= warmup) ms.push(t1 - t0);
  }
  return { ms, result };
}
