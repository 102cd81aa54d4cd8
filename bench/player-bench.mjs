// Our player vs mpegts.js's real player, in Debian's headless Chromium, against the same
// relive server (debug build, loopback) and the same FLV files:
//   1. time to first frame of an FLV replay, from navigation start;
//   2. seek latency in a 30-minute FLV with no keyframe index in its metadata.
// Prints figures; asserts nothing. See bench/README.md.
//   node player-bench.mjs [--runs N] [--seek-runs N] [--seek-timeout S] [--only ttff|seek]
//                         [--mpegts-config JSON]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from '../e2e/lib/server.mjs';
import { publish } from '../e2e/lib/media.mjs';

const here = import.meta.dirname;
const cache = join(here, '.cache');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runs = Number(arg('--runs', 9));
const seekRuns = Number(arg('--seek-runs', 3));
const seekTimeoutMs = Number(arg('--seek-timeout', 15)) * 1000;
const only = arg('--only', null);
// mpegts.js's config (JSON), e.g. '{"lazyLoad":false}'; default: none, its defaults.
const mpegtsConfig = arg('--mpegts-config', null);
const ttffFlv = process.env.RELIVE_BENCH_FLV ?? join(cache, 'big.flv');
const seekFlv = join(cache, 'long-noindex.flv');
const seekFractions = [0.25, 0.5, 0.75, 0.9];

const doTtff = only !== 'seek' && existsSync(ttffFlv);
const doSeek = only !== 'ttff' && existsSync(seekFlv);
if (only !== 'seek' && !doTtff) console.log(`skipping time to first frame: ${ttffFlv} is missing; make it with bench/make-media.sh`);
if (only !== 'ttff' && !doSeek) console.log(`skipping seek latency: ${seekFlv} is missing; make it with bench/make-media.sh`);
if (!doTtff && !doSeek) process.exit(0);
if (!existsSync(join(ROOT, 'dist', 'index.html'))) {
  console.log('skipping the player benchmarks: the web app is not built (dist/index.html); `make web` builds it');
  process.exit(0);
}
if (!process.env.RELIVE_BIN && !existsSync(join(ROOT, 'target', 'debug', 'relive'))) {
  execFileSync('cargo', ['build', '--quiet', '-p', 'relive-server'], { cwd: ROOT, stdio: 'inherit' });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const durationOf = (file) => Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).toString());

// ---- the server, the recordings, mpegts.js's page --------------------------------------
const server = await startServer();
const now = Math.floor(Date.now() / 1000);
// mpegts.js's page and its dist build go into the media folder: served by the same relive
// server, same origin as the FLV (the server sends no CORS headers, so a page on another
// origin cannot fetch /media/ at all).
const benchDir = join(server.dir, 'media', 'bench');
mkdirSync(benchDir, { recursive: true });
copyFileSync(join(here, 'node_modules', 'mpegts.js', 'dist', 'mpegts.js'), join(benchDir, 'mpegts.js'));
for (const f of ['mpegts-player.html', 'mpegts-player.js']) copyFileSync(join(here, 'web', f), join(benchDir, f));
const mpegtsVersion = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./node_modules/mpegts.js/package.json").version)'], { cwd: here }).toString());

/** Publishes `file`, announces it as a Tencent FLV recording, waits for the server's keyframe index. */
async function announce(file, streamId) {
  const name = `${streamId}.flv`;
  const url = publish(server, file, name);
  const size = statSync(file).size;
  const duration = durationOf(file);
  const t0 = performance.now();
  await server.tencentRecording({ streamId, fileId: streamId, start: now - 7200, duration: Math.round(duration), url, format: 'flv', size });
  const page = await (await fetch(`${server.base}/api/v1/streamers/${streamId}/replays`)).json();
  const id = page.items[0].id;
  let keyframes;
  for (;;) {
    const r = await fetch(`${server.base}/api/v1/replays/${id}/keyframes`);
    const body = await r.json();
    if (r.status === 200) { keyframes = body.times_ms.length; break; }
    if (r.status !== 202) throw new Error(`keyframes of ${name}: ${r.status} ${JSON.stringify(body)}`);
    if (performance.now() - t0 > 300_000) throw new Error(`keyframes of ${name}: not built in 5 min`);
    await sleep(20);
  }
  const indexMs = performance.now() - t0;
  return {
    id, url, size, duration, indexMs, keyframes, name,
    ours: `${server.base}/u/${streamId}/replays/${id}`,
    mpegts: `${server.base}/media/bench/mpegts-player.html?url=${encodeURIComponent(url)}` +
      (mpegtsConfig ? `&config=${encodeURIComponent(mpegtsConfig)}` : ''),
  };
}

// ---- the browser ---------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc', '--autoplay-policy=no-user-gesture-required'],
});

// Runs before any script of the page: timestamps (performance.now(), i.e. ms since
// navigation start) of the first FLV fetch and of the first <video>'s events, and the
// first frame presented (requestVideoFrameCallback's presentationTime).
const probe = () => {
  const P = (window.__probe = { t: {} });
  const mark = (k, v = performance.now()) => { if (P.t[k] === undefined) P.t[k] = v; };
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const u = typeof input === 'string' ? input : input.url;
    if (/\.flv(\?|$)/.test(u)) mark('flvFetch');
    return fetch0.apply(this, arguments);
  };
  document.addEventListener('loadstart', (e) => {
    const v = e.target;
    if (!(v instanceof HTMLVideoElement) || window.__video) return;
    window.__video = v;
    mark('loadstart');
    v.requestVideoFrameCallback((now, m) => { mark('firstFrame', m.presentationTime); mark('firstFrameCallback', now); P.firstMediaTime = m.mediaTime; });
  }, true);
  addEventListener('TrunkApplicationStarted', () => mark('appStarted'));
  const MS = window.MediaSource;
  window.MediaSource = class extends MS {
    constructor() { super(); mark('mediaSource'); this.addEventListener('sourceopen', () => mark('sourceopen')); }
  };
  for (const ev of ['loadedmetadata', 'loadeddata', 'playing']) document.addEventListener(ev, (e) => { if (e.target === window.__video) mark(ev); }, true);
  document.addEventListener('timeupdate', (e) => { if (e.target === window.__video && e.target.currentTime > 0) mark('timeupdate'); }, true);
};

async function openPage(url) {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.keyframes = [];
  page.on('response', (r) => { if (r.url().includes('/keyframes')) page.keyframes.push(r.status()); });
  await page.addInitScript(probe);
  await page.goto(url);
  return { page, context };
}

// ---- 1. time to first frame ------------------------------------------------------------------
async function ttffRun(url) {
  const { page, context } = await openPage(url);
  try {
    await page.waitForFunction(() => window.__probe.t.firstFrame !== undefined && window.__probe.t.timeupdate !== undefined, null, { timeout: 30_000 });
    const r = await page.evaluate(() => {
      const P = window.__probe;
      const nav = performance.getEntriesByType('navigation')[0];
      P.t.document = nav.responseEnd;
      P.t.domContentLoaded = nav.domContentLoadedEventEnd;
      for (const e of performance.getEntriesByType('resource')) {
        if (/\/mpegts\.js$|_bg\.wasm$/.test(e.name)) P.t.code = e.responseEnd;
        if (/\/api\/v1\/replays\/\d+$/.test(e.name)) P.t.replayApi = e.responseEnd;
      }
      return { ...P, mse: window.__video.src.startsWith('blob:') };
    });
    if (!r.mse) throw new Error('not played through MSE');
    if (page.errors.length) r.errors = page.errors;
    return r;
  } catch (e) {
    throw new Error(`${url}: ${e.message}; page said: ${page.errors.join('; ')}`);
  } finally {
    await context.close();
  }
}

// ---- 2. seek latency -----------------------------------------------------------------------
/** In the page: sets video.currentTime, then watches until the seek is done and playing. */
const seekInPage = ({ target, timeoutMs }) => new Promise((resolve) => {
  const v = window.__video;
  const from = v.currentTime;
  const t0 = performance.now();
  let seeked = null; // first `seeked` after the seek
  let seekedNear = null; // first `seeked` with currentTime within 2 s of the target
  let base = null; // currentTime at the first check where seekedNear and near
  const near = () => Math.abs(v.currentTime - target) < 2;
  const finish = (extra) => {
    clearInterval(timer);
    v.removeEventListener('seeked', onSeeked);
    const ranges = [];
    for (let i = 0; i < v.buffered.length; i++) ranges.push([+v.buffered.start(i).toFixed(1), +v.buffered.end(i).toFixed(1)]);
    resolve({ from, seeked, seekedNear, ...extra, state: { currentTime: +v.currentTime.toFixed(2), seeking: v.seeking, paused: v.paused, readyState: v.readyState, buffered: ranges } });
  };
  const check = () => {
    const t = performance.now() - t0;
    if (seekedNear !== null && near() && !v.paused) {
      if (base === null) base = v.currentTime;
      else if (v.currentTime > base) return finish({ playing: t });
    }
    if (t > timeoutMs) finish({ playing: null });
  };
  const onSeeked = () => {
    const t = performance.now() - t0;
    if (seeked === null) seeked = t;
    if (seekedNear === null && near()) seekedNear = t;
    check();
  };
  v.addEventListener('seeked', onSeeked);
  const timer = setInterval(check, 5);
  v.currentTime = target;
});

async function seekRun(url, target, expectIndex) {
  const { page, context } = await openPage(url);
  try {
    await page.waitForFunction(() => { const v = window.__video; return v && v.currentTime >= 1 && !v.paused; }, null, { timeout: 30_000 });
    if (expectIndex) {
      // Our player asks for the server's keyframe index at start: make sure it has it.
      for (let i = 0; i < 100 && !page.keyframes.includes(200); i++) await sleep(50);
      if (!page.keyframes.includes(200)) throw new Error(`the player did not get the keyframe index: ${page.keyframes}`);
    }
    const r = await page.evaluate(seekInPage, { target, timeoutMs: seekTimeoutMs });
    if (page.errors.length) r.errors = page.errors;
    return r;
  } finally {
    await context.close();
  }
}

// ---- run ---------------------------------------------------------------------------------------
const fmt = (ms) => (ms == null || Number.isNaN(ms) ? '—' : `${Math.round(ms)}`);
try {
  console.log(`\nPlayer benchmarks: relive server (${process.env.RELIVE_BIN ?? 'target/debug/relive'}) on ${server.base}, ` +
    `headless Chromium ${browser.version()}, mpegts.js ${mpegtsVersion} (dist/mpegts.js, ${mpegtsConfig ? `config ${mpegtsConfig}` : 'default config'})`);

  if (doTtff) {
    const rec = await announce(ttffFlv, 'bench-ttff');
    console.log(`\n1. Time to first frame: ${rec.name} = ${ttffFlv} (${(rec.size / 1e6).toFixed(1)} MB, ${rec.duration.toFixed(0)} s); ` +
      `the server indexed it in ${fmt(rec.indexMs)} ms (${rec.keyframes} keyframes) before the runs`);
    const results = { ours: [], mpegts: [] };
    for (let i = 0; i < runs + 1; i++) { // run 0: warm-up, not counted
      const order = i % 2 ? ['mpegts', 'ours'] : ['ours', 'mpegts'];
      for (const who of order) {
        const r = await ttffRun(rec[who]);
        if (i > 0) results[who].push(r);
        if (r.errors) console.log(`  (${who} page said: ${r.errors.join('; ')})`);
      }
    }
    const keys = [['document', 'HTML document loaded'], ['code', 'player code loaded (.wasm / mpegts.js)'],
      ['appStarted', 'ours: wasm app started'], ['replayApi', 'ours: replay API answered'], ['mediaSource', 'MediaSource created'], ['sourceopen', 'sourceopen'], ['flvFetch', 'FLV fetch starts'], ['loadedmetadata', 'loadedmetadata'], ['loadeddata', 'loadeddata'],
      ['firstFrame', 'first frame presented (rVFC)'], ['playing', '`playing` event'], ['timeupdate', 'first timeupdate, currentTime > 0']];
    console.log(`ms since navigation start, median of ${runs} runs (after 1 warm-up each), fresh browser context per run, autoplay:`);
    console.log(`${''.padEnd(40)} ${'ours'.padStart(8)} ${'mpegts.js'.padStart(10)} ${'ratio'.padStart(7)}   ours range / mpegts.js range`);
    const med = {};
    for (const [k, label] of keys) {
      const a = results.ours.map((r) => r.t[k]), b = results.mpegts.map((r) => r.t[k]);
      med[k] = [median(a), median(b)];
      const range = (xs) => (xs.every((x) => x === undefined) ? '—' : `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`);
      const ratio = Number.isFinite(med[k][1] / med[k][0]) ? `${(med[k][1] / med[k][0]).toFixed(2)}x` : '';
      console.log(`${label.padEnd(40)} ${fmt(med[k][0]).padStart(8)} ${fmt(med[k][1]).padStart(10)} ${ratio.padStart(7)}   ${range(a)} / ${range(b)}`);
    }
    const fromFetch = (rs) => median(rs.map((r) => r.t.firstFrame - r.t.flvFetch));
    const ff = [fromFetch(results.ours), fromFetch(results.mpegts)];
    console.log(`${'FLV fetch start → first frame'.padEnd(40)} ${fmt(ff[0]).padStart(8)} ${fmt(ff[1]).padStart(10)} ${`${(ff[1] / ff[0]).toFixed(2)}x`.padStart(7)}`);
    console.log(`(ratio = mpegts.js / ours: above 1, ours is faster)`);
    console.log(`time to first frame (navigation start → first frame presented): ours ${fmt(med.firstFrame[0])} ms, ` +
      `mpegts.js ${fmt(med.firstFrame[1])} ms (${(med.firstFrame[1] / med.firstFrame[0]).toFixed(2)}x); from the FLV fetch: ` +
      `ours ${fmt(ff[0])} ms, mpegts.js ${fmt(ff[1])} ms (${(ff[1] / ff[0]).toFixed(2)}x)`);
  }

  if (doSeek) {
    const rec = await announce(seekFlv, 'bench-seek');
    console.log(`\n2. Seek latency: ${rec.name} = ${seekFlv} (${(rec.size / 1e6).toFixed(1)} MB, ${rec.duration.toFixed(0)} s, no keyframe index in its metadata)`);
    console.log(`server's keyframe index: built in ${fmt(rec.indexMs)} ms after the recording callback ` +
      `(callback → first 200 from GET /api/v1/replays/${rec.id}/keyframes, polled every 20 ms; ${rec.keyframes} keyframes)`);
    console.log(`each seek: fresh context, page opened, wait until playing and currentTime ≥ 1 s, then video.currentTime = target; ` +
      `done when \`seeked\` fired, currentTime within 2 s of the target, not paused and currentTime advancing; timeout ${seekTimeoutMs / 1000} s`);
    const all = { ours: [], mpegts: [] };
    console.log(`${'target'.padEnd(14)} ${'ours: seeked / playing ms'.padEnd(34)} mpegts.js: seeked / playing ms`);
    for (const f of seekFractions) {
      const target = Math.round(rec.duration * f);
      const per = { ours: [], mpegts: [] };
      for (let i = 0; i < seekRuns; i++) {
        for (const who of i % 2 ? ['mpegts', 'ours'] : ['ours', 'mpegts']) {
          const r = await seekRun(rec[who], target, who === 'ours');
          r.target = target;
          per[who].push(r);
          all[who].push(r);
        }
      }
      const cell = (rs) => rs.map((r) => `${fmt(r.seekedNear)}/${r.playing == null ? 'TIMEOUT' : fmt(r.playing)}`).join(' ');
      console.log(`${`${f * 100}% (${target} s)`.padEnd(14)} ${cell(per.ours).padEnd(34)} ${cell(per.mpegts)}`);
      for (const who of ['ours', 'mpegts']) {
        for (const r of per[who].filter((r) => r.playing == null)) {
          console.log(`  ${who} did not reach ${target} s within ${seekTimeoutMs / 1000} s: seeked ${r.seeked == null ? 'never fired' : `at ${fmt(r.seeked)} ms`}; ` +
            `after ${seekTimeoutMs / 1000} s: ${JSON.stringify(r.state)}`);
        }
      }
    }
    const ok = (rs) => rs.filter((r) => r.playing != null);
    const summary = (who) => {
      const rs = all[who];
      const good = ok(rs);
      return `${good.length}/${rs.length} reached the target; median time to playing ${fmt(median(good.map((r) => r.playing)))} ms` +
        ` (to \`seeked\` near the target ${fmt(median(good.map((r) => r.seekedNear)))} ms)`;
    };
    console.log(`ours:      ${summary('ours')}`);
    console.log(`mpegts.js: ${summary('mpegts')}`);
    for (const who of ['ours', 'mpegts']) {
      const counts = new Map();
      for (const r of all[who]) for (const e of new Set(r.errors ?? [])) counts.set(e, (counts.get(e) ?? 0) + 1);
      for (const [e, n] of counts) console.log(`  ${who === 'ours' ? 'our page' : 'the mpegts.js page'}: uncaught error or console error in ${n} of ${all[who].length} runs: ${e.slice(0, 200)}`);
    }
    const a = median(ok(all.ours).map((r) => r.playing)), b = median(ok(all.mpegts).map((r) => r.playing));
    if (ok(all.mpegts).length) console.log(`ratio mpegts.js / ours (seeks that reached the target): ${(b / a).toFixed(1)}x`);
    else console.log(`ratio: none — mpegts.js reached no target within ${seekTimeoutMs / 1000} s`);
  }
} finally {
  await browser.close();
  await server.stop();
}
