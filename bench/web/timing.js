// Shared by both benchmark pages: fetch the FLV once, then warm-up and timed runs.
export async function fetchFlv() {
  const res = await fetch('/big.flv');
  if (!res.ok) throw new Error(`GET /big.flv: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Runs `fn` `warmup` + `runs` times; the timed runs' milliseconds and the last result. */
export async function time(fn, { runs, warmup }) {
  const ms = [];
  let result;
  for (let i = 0; i < warmup + runs; i++) {
    globalThis.gc?.(); // Chromium started with --expose-gc: no run pays for the last one's garbage
    const t0 = performance.now();
    result = await fn();
    const t1 = performance.now();
    if (i >= warmup) ms.push(t1 - t0);
  }
  return { ms, result };
}
