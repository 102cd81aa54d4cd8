// In-browser remux throughput, each side in its own page of Debian's headless Chromium,
// the same bytes in the same 64 KiB chunks:
//   FLV → fMP4: ours (WASM, called from the page; and the app's own FLV worker from dist/)
//               vs mpegts.js;
//   MPEG-TS → fMP4: ours (WASM from the page; the app's TS worker from dist/, fed 64 KiB
//               chunks and whole HLS segments) vs hls.js (its Transmuxer on the page's
//               thread, and its own worker build, dist/hls.worker.js).
// Then the code each side downloads (brotli). Prints figures; asserts nothing.
//   node browser-bench.mjs [--runs N] [--only flv|ts]     (default 5 timed runs after 1 warm-up)
// Needs .cache/big.flv, big.ts, big-hls/ (make-media.sh); the worker rows need dist/ (`make web`).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, extname } from 'node:path';
import { chromium } from 'playwright-core';

const here = import.meta.dirname;
const root = join(here, '..');
const cache = join(here, '.cache');
const dist = join(root, 'dist');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runs = Number(arg('--runs', 5));
const only = arg('--only', null);
const warmup = 1;
const flvPath = process.env.RELIVE_BENCH_FLV ?? join(cache, 'big.flv');
const tsPath = join(cache, 'big.ts');
const hlsDir = join(cache, 'big-hls');

const doFlv = only !== 'ts' && existsSync(flvPath);
const doTs = only !== 'flv' && existsSync(tsPath) && existsSync(join(hlsDir, 'index.m3u8'));
if (only !== 'ts' && !doFlv) console.log(`skipping the FLV rows: ${flvPath} is missing; make it with bench/make-media.sh`);
if (only !== 'flv' && !doTs) console.log(`skipping the MPEG-TS rows: ${tsPath} or ${hlsDir}/ is missing; make them with bench/make-media.sh`);
if (!doFlv && !doTs) process.exit(0);
const haveDist = existsSync(join(dist, 'index.html'));
if (!haveDist) console.log('no web app in dist/ (`make web` builds it): no rows for the app\'s workers, no first-load size');
const haveWorker = {
  flv: existsSync(join(dist, 'relive-file-worker_loader.js')),
  ts: existsSync(join(dist, 'relive-ts-worker_loader.js')),
};

// Build the benchmark's sides (quick when nothing changed).
execFileSync(join(here, 'build-wasm.sh'), { stdio: 'inherit' });
if (doFlv) execFileSync(process.execPath, [join(here, 'build-mpegts.mjs')], { stdio: 'inherit' });
if (doTs) execFileSync(process.execPath, [join(here, 'build-hlsjs.mjs')], { stdio: 'inherit' });

// --- a static server on loopback: /web/ pages, /out/ builds, /dist/ the web app (its
// workers), /hls/ hls.js's dist, /media/ the test files ---
const roots = { web: join(here, 'web'), out: join(cache, 'web'), dist, hls: join(here, 'node_modules', 'hls.js', 'dist') };
const media = { 'big.flv': flvPath, 'big.ts': tsPath, 'big-hls': hlsDir };
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.flv': 'video/x-flv', '.ts': 'video/mp2t', '.m3u8': 'application/vnd.apple.mpegurl' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const [, top, first, ...rest] = path.split('/');
  let file = null;
  if (top === 'media' && media[first]) file = rest.length ? join(media[first], normalize(rest.join('/'))) : media[first];
  else if (roots[top]) {
    const rel = normalize([first, ...rest].join('/'));
    if (!rel.startsWith('..')) file = join(roots[top], rel);
  }
  if (file && file.includes('..')) file = null;
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'content-length': statSync(file).size,
    'cache-control': 'no-store',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
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
  let result;
  try {
    result = await page.evaluate((o) => window.bench(o), { runs, warmup, only: doFlv && doTs ? null : doFlv ? 'flv' : 'ts', workers: haveWorker });
  } catch (e) {
    throw new Error(`${name}.html: ${e.message}; page said: ${errors.join('; ')}`);
  }
  await context.close();
  if (errors.length) console.log(`(${name}.html said: ${errors.join('; ')})`);
  return result;
}

const pages = {};
try {
  pages.ours = await runPage('ours');
  if (haveDist) pages.workers = await runPage('workers');
  if (doFlv) pages.mpegts = await runPage('mpegts');
  if (doTs) pages.hlsjs = await runPage('hlsjs');
} finally {
  await browser.close();
  server.close();
}

// --- figures ---
const MB = 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const W = 66;
const header = () => console.log(`${''.padEnd(W)} ${'MB/s'.padStart(7)} ${'ms/run'.padStart(8)} ${'range ms'.padStart(11)} ${'out MB'.padStart(9)} ${'segments'.padStart(8)}`);
/** Prints a row; its MB/s (of `input` bytes), or undefined without figures. */
const row = (label, t, input) => {
  if (!t) { console.log(`${label.padEnd(W)} ${'—'.padStart(7)}`); return undefined; }
  const ms = median(t.ms);
  const mbps = input / MB / (ms / 1000);
  const spread = `${Math.min(...t.ms).toFixed(0)}–${Math.max(...t.ms).toFixed(0)}`;
  const out = t.result.bytes / MB;
  const segs = t.result.segments ?? '';
  console.log(`${label.padEnd(W)} ${mbps.toFixed(0).padStart(7)} ${ms.toFixed(0).padStart(8)} ${spread.padStart(11)} ${out.toFixed(1).padStart(9)} ${String(segs).padStart(8)}`);
  return mbps;
};
const ratio = (label, a, b, goal) => {
  if (!a || !b) { console.log(`${label}: —`); return; }
  const r = a / b;
  console.log(`${label}: ${r.toFixed(2)}x (${a.toFixed(0)} vs ${b.toFixed(0)} MB/s)${goal ? `; goal ≥ ${goal}x: ${r >= goal ? 'met' : 'short'}` : ''}`);
};
const version = browser.version?.() ?? '';
const { ours, workers = {}, mpegts, hlsjs } = pages;
const noWorker = (what) => (haveDist ? `(no ${what} in dist/: the app was built before it existed)` : '(no dist/)');

if (doFlv) {
  const input = ours.flvInput;
  console.log(`\nIn-browser remux, FLV → fMP4: ${(input / MB).toFixed(1)} MB (${flvPath}), 64 KiB chunks, median of ${runs} runs after ${warmup} warm-up, headless Chromium ${version}`);
  header();
  const o3 = row('ours (WASM, opt 3): JS pushes chunks, takes segments', ours.flvChunked, input);
  row('ours (WASM, opt "z" as the app builds it): the same', ours.flvChunkedZ, input);
  row('ours (WASM, opt 3): one call, chunked inside', ours.flvOneCall, input);
  row('  where the time goes: JS pushes chunks, segments dropped in wasm', ours.flvPushOnly, input);
  row('  where the time goes: JS copies out segments of those sizes alone', ours.flvCopyOut, input);
  const w = row('ours: the app\'s FLV worker (dist/), the player\'s path', workers.flvWorker, input);
  if (!workers.flvWorker) console.log(`  ${noWorker('relive-file-worker')}`);
  const ctl = row('mpegts.js: TransmuxingController (its player\'s path, no worker)', mpegts.controller, input);
  row('mpegts.js: FLVDemuxer + MP4Remuxer alone', mpegts.bare, input);
  ratio('the player\'s path, ours (worker) / mpegts.js (TransmuxingController)', w, ctl, 3);
  ratio('like for like on the page\'s thread, ours (JS-driven, opt 3) / mpegts.js (TransmuxingController)', o3, ctl, 3);
}

if (doTs) {
  const ts = hlsjs.tsInput, hls = hlsjs.hlsInput;
  console.log(`\nIn-browser remux, MPEG-TS → fMP4: big.ts ${(ts / MB).toFixed(1)} MB in 64 KiB chunks; big-hls/ ${(hls / MB).toFixed(1)} MB ` +
    `in ${hlsjs.hlsSegments} segments of 4 s, each whole; median of ${runs} runs after ${warmup} warm-up, headless Chromium ${version}`);
  if (!ours.ts) console.log('  (ours: relive_media::ts::TsRemuxer is not there yet: no rows for our WASM)');
  header();
  const o3 = row('ours (WASM, opt 3): JS pushes 64 KiB chunks, takes segments', ours.tsChunked, ts);
  row('ours (WASM, opt "z" as the app builds it): the same', ours.tsChunkedZ, ts);
  row('ours (WASM, opt 3): one call, chunked inside', ours.tsOneCall, ts);
  row('  where the time goes: JS pushes chunks, segments dropped in wasm', ours.tsPushOnly, ts);
  row('  where the time goes: JS copies out segments of those sizes alone', ours.tsCopyOut, ts);
  const ws = row('ours: the app\'s TS worker (dist/), 64 KiB chunks', workers.tsWorkerStream, ts);
  row('  the same, one worker kept warm across runs', workers.tsWorkerWarm, ts);
  const wh = row('ours: the app\'s TS worker, whole segments (the player\'s path)', workers.tsWorkerSegments, hls);
  if (!workers.tsWorkerSegments) console.log(`  ${noWorker('relive-ts-worker')}`);
  const hm = row('hls.js: Transmuxer on the page\'s thread, 64 KiB chunks (progressive)', hlsjs.main, ts);
  row('hls.js: Transmuxer on the page\'s thread, whole segments', hlsjs.mainSegments, hls);
  const hws = row('hls.js: its worker (dist/hls.worker.js), 64 KiB chunks (progressive)', hlsjs.workerStream, ts);
  const hwh = row('hls.js: its worker, whole segments (its player\'s path)', hlsjs.workerSegments, hls);
  ratio('the player\'s path (worker, whole segments), ours / hls.js', wh, hwh, 3);
  ratio('in a worker, 64 KiB chunks, ours / hls.js', ws, hws, 3);
  ratio('on the page\'s thread, 64 KiB chunks, ours (JS-driven, opt 3) / hls.js', o3, hm, 3);
}

// --- code size: brotli -q 11 of what each side downloads ---
const brotli = (f) => execFileSync('brotli', ['-c', '-q', '11', f]).length;
const kib = (n) => `${n} B (${(n / 1024).toFixed(1)} KiB)`;
const distFiles = (re) => (haveDist ? readdirSync(dist).filter((f) => re.test(f) && /\.(wasm|js)$/.test(f)) : []);
const sumBr = (files, dir) => files.reduce((n, f) => n + brotli(join(dir, f)), 0);
console.log('\nCode size, brotli -q 11:');
const pkg = join(cache, 'web', 'pkg');
const benchBuild = brotli(join(pkg, 'relive_media_wasm_bench_bg.wasm')) + brotli(join(pkg, 'relive_media_wasm_bench.js'));
console.log(`  ours, this benchmark's build (opt 3, FLV${ours.ts ? ' + TS' : ''}): ${kib(benchBuild)}`);
const flvW = distFiles(/^relive-file-worker/), tsW = distFiles(/^relive-ts-worker/);
if (flvW.length) console.log(`  ours, the app's FLV worker (${flvW.join(' + ')}): ${kib(sumBr(flvW, dist))}`);
let tsWorkerBr = null;
if (tsW.length) { tsWorkerBr = sumBr(tsW, dist); console.log(`  ours, the app's TS worker (${tsW.join(' + ')}): ${kib(tsWorkerBr)}`); }
else console.log(`  ours, the app's TS worker: ${noWorker('relive-ts-worker')}`);
if (doFlv) {
  const mp = join(here, 'node_modules', 'mpegts.js', 'dist', 'mpegts.js');
  console.log(`  mpegts.js dist/mpegts.js (minified, whole player): ${kib(brotli(mp))}; its transmuxer alone as bundled here: ${kib(brotli(join(cache, 'web', 'mpegts-bench.js')))}`);
}
const hd = join(here, 'node_modules', 'hls.js', 'dist');
const hlsMin = brotli(join(hd, 'hls.min.js')), hlsLight = brotli(join(hd, 'hls.light.min.js')), hlsWorker = brotli(join(hd, 'hls.worker.js'));
console.log(`  hls.js dist/hls.min.js (whole player, its worker inside): ${kib(hlsMin)}; hls.light.min.js: ${kib(hlsLight)}; ` +
  `hls.worker.js (the worker alone, with workerPath): ${kib(hlsWorker)}`);
if (tsWorkerBr) {
  console.log(`  ours TS worker / hls.min.js: ${(tsWorkerBr / hlsMin).toFixed(3)} (goal < 0.333: ${tsWorkerBr * 3 < hlsMin ? 'met' : 'short'}); ` +
    `/ hls.light.min.js: ${(tsWorkerBr / hlsLight).toFixed(3)}`);
}
if (haveDist) {
  // What scripts/web-size.sh counts (its .br files, made by scripts/build-web.sh), minus both workers.
  const first = readdirSync(dist).filter((f) => /\.(wasm|js|css)$/.test(f) && !/^relive-[a-z]+-worker/.test(f) && existsSync(join(dist, `${f}.br`)));
  const snippets = existsSync(join(dist, 'snippets')) ? readdirSync(join(dist, 'snippets')).flatMap((d) =>
    readdirSync(join(dist, 'snippets', d)).filter((f) => f.endsWith('.js')).map((f) => join('snippets', d, f))) : [];
  const total = [...first, ...snippets].reduce((n, f) => n + (existsSync(join(dist, `${f}.br`)) ? statSync(join(dist, `${f}.br`)).size : 0), 0);
  console.log(`  our first page load (wasm + js + css of dist/, their .br, workers apart): ${kib(total)} (goal < 200 KB: ${total < 200_000 ? 'met' : 'short'})`);
}
