// In-browser FLV → fragmented MP4 throughput: our remuxer (WASM) vs mpegts.js, the same
// FLV bytes fed in 64 KiB chunks, each in its own page of Debian's headless Chromium.
// Prints figures; asserts nothing. `node browser-bench.mjs [--runs N]` (default 5 timed
// runs after 1 warm-up). Needs .cache/big.flv (make-media.sh).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, normalize, extname } from 'node:path';
import { chromium } from 'playwright-core';

const here = import.meta.dirname;
const cache = join(here, '.cache');
const flvPath = process.env.RELIVE_BENCH_FLV ?? join(cache, 'big.flv');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const warmup = 1;

if (!existsSync(flvPath)) {
  console.log(`skipping the browser benchmark: ${flvPath} is missing; make it with bench/make-media.sh`);
  process.exit(0);
}

// Build both sides (quick when nothing changed).
execFileSync(join(here, 'build-wasm.sh'), { stdio: 'inherit' });
execFileSync(process.execPath, [join(here, 'build-mpegts.mjs')], { stdio: 'inherit' });

// --- a static server on loopback: /web/ pages, /out/ builds, /big.flv ---
const roots = { web: join(here, 'web'), out: join(cache, 'web') };
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.flv': 'video/x-flv' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = null;
  if (path === '/big.flv') file = flvPath;
  else {
    const [, root, ...rest] = path.split('/');
    const rel = normalize(rest.join('/'));
    if (roots[root] && !rel.startsWith('..')) file = join(roots[root], rel);
  }
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-length': statSync(file).size,
    'cache-control': 'no-store',
  });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc'],
});

async function runPage(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/web/${name}.html`);
  await page.waitForFunction(() => window.ready === true || undefined, null, { timeout: 30_000 }).catch(() => {
    throw new Error(`${name}.html did not load: ${errors.join('; ')}`);
  });
  const result = await page.evaluate((o) => window.bench(o), { runs, warmup });
  await context.close();
  if (errors.length) console.log(`(${name}.html said: ${errors.join('; ')})`);
  return result;
}

let ours, theirs;
try {
  ours = await runPage('ours');
  theirs = await runPage('mpegts');
} finally {
  await browser.close();
  server.close();
}

// --- figures ---
const MB = 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const input = ours.input;
const row = (label, t) => {
  const ms = median(t.ms);
  const mbps = input / MB / (ms / 1000);
  const spread = `${Math.min(...t.ms).toFixed(0)}–${Math.max(...t.ms).toFixed(0)}`;
  const out = t.result.bytes / MB;
  const segs = t.result.segments ?? '';
  console.log(`${label.padEnd(46)} ${mbps.toFixed(0).padStart(7)} ${ms.toFixed(0).padStart(8)} ${spread.padStart(11)} ${out.toFixed(1).padStart(9)} ${String(segs).padStart(8)}`);
  return mbps;
};
const version = browser.version?.() ?? '';
console.log(`\nIn-browser remux: ${(input / MB).toFixed(1)} MB FLV (${flvPath}), 64 KiB chunks, median of ${runs} runs after ${warmup} warm-up, headless Chromium ${version}`);
console.log(`${''.padEnd(46)} ${'MB/s'.padStart(7)} ${'ms/run'.padStart(8)} ${'range ms'.padStart(11)} ${'out MB'.padStart(9)} ${'segments'.padStart(8)}`);
const oursChunked = row('ours (WASM): JS pushes chunks, takes segments', ours.chunked);
const oursOne = row('ours (WASM): one call, chunked inside', ours.oneCall);
const mpegtsCtl = row('mpegts.js: TransmuxingController (player path)', theirs.controller);
const mpegtsBare = row('mpegts.js: FLVDemuxer + MP4Remuxer alone', theirs.bare);
// Like for like: chunks arrive in JS, segments come out as JS buffers on both sides.
console.log(`ratio ours/mpegts.js: ${(oursChunked / mpegtsCtl).toFixed(2)}x ` +
  `(ours JS-driven ${oursChunked.toFixed(0)} MB/s vs mpegts.js TransmuxingController ${mpegtsCtl.toFixed(0)} MB/s)`);
console.log(`  (not like for like: ours in one call keeps its segments in wasm memory, ${(oursOne / mpegtsBare).toFixed(1)}x ` +
  `mpegts.js's bare FLVDemuxer + MP4Remuxer; the bare pair is ${(mpegtsBare / mpegtsCtl).toFixed(2)}x its controller)`);

// --- code size: brotli -q 11 ---
const brotli = (f) => execFileSync('brotli', ['-c', '-q', '11', f]).length;
const pkg = join(cache, 'web', 'pkg');
const wasm = brotli(join(pkg, 'relive_media_wasm_bench_bg.wasm'));
const glue = brotli(join(pkg, 'relive_media_wasm_bench.js'));
const dist = join(here, 'node_modules', 'mpegts.js', 'dist', 'mpegts.js');
const distBr = brotli(dist);
const bundleBr = brotli(join(cache, 'web', 'mpegts-bench.js'));
const kib = (n) => `${n} B (${(n / 1024).toFixed(1)} KiB)`;
console.log(`code size, brotli -q 11: ours ${kib(wasm + glue)} = .wasm ${wasm} + glue JS ${glue}; ` +
  `mpegts.js dist/mpegts.js (minified, whole player) ${kib(distBr)}; ` +
  `its transmuxer alone as bundled here ${kib(bundleBr)}`);
