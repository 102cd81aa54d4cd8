// Our player vs mpegts.js's (FLV) and hls.js's (HLS) real players, in Debian's headless
// Chromium, against the same relive server (debug build, loopback) and the same files:
//   ttff      FLV: time to first frame from navigation start (big.flv);
//   seek      FLV: seek latency in a 30-minute FLV with no keyframe index in its metadata;
//   hls-ttff  HLS: time to first frame from navigation start (long720-hls/, 10 min);
//   hls-seek  HLS: seek to 75 % of the same;
//   play      first frame from play(), both players attached and preloaded, paused:
//             FLV (long720.flv, ours vs mpegts.js) and HLS (long720-hls/, ours vs hls.js),
//             with where our time goes between play() and the first frame.
// Prints figures; asserts nothing. See bench/README.md.
//   node player-bench.mjs [--only ttff,seek,hls-ttff,hls-seek,play] [--runs N] [--seek-runs N]
//        [--seek-timeout S] [--play-runs N] [--play-wait settled,ready] [--mpegts-config JSON]
//        [--hls-config JSON]
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from '../e2e/lib/server.mjs';
import { publish } from '../e2e/lib/media.mjs';

const here = import.meta.dirname;
const cache = join(here, '.cache');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runs = Number(arg('--runs', 9));
const seekRuns = Number(arg('--seek-runs', 3));
const playRuns = Number(arg('--play-runs', 5));
// When play() is called: `settled` (preloaded, nothing loading any more), `ready` (at the
// first readyState ≥ 3, still loading), or both.
const playWaits = arg('--play-wait', 'settled,ready').split(',');
const seekTimeoutMs = Number(arg('--seek-timeout', 15)) * 1000;
const only = new Set((arg('--only', 'ttff,seek,hls-ttff,hls-seek,play')).split(','));
// mpegts.js's config (JSON), e.g. '{"lazyLoad":false}'; default: none, its defaults.
const mpegtsConfig = arg('--mpegts-config', null);
// Merged into hls.js's config (JSON); default: its defaults (and workerPath, see hls-player.html).
const hlsConfig = arg('--hls-config', null);
const ttffFlv = process.env.RELIVE_BENCH_FLV ?? join(cache, 'big.flv');
const seekFlv = join(cache, 'long-noindex.flv');
const longFlv = join(cache, 'long720.flv');
const longHls = join(cache, 'long720-hls');
const seekFractions = [0.25, 0.5, 0.75, 0.9];
const hlsSeekFractions = [0.75];

const want = (what, files) => {
  if (!only.has(what)) return false;
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) console.log(`skipping ${what}: ${missing.join(', ')} missing; make it with bench/make-media.sh`);
  return !missing.length;
};
const doTtff = want('ttff', [ttffFlv]);
const doSeek = want('seek', [seekFlv]);
const doHlsTtff = want('hls-ttff', [join(longHls, 'index.m3u8')]);
const doHlsSeek = want('hls-seek', [join(longHls, 'index.m3u8')]);
const doPlay = want('play', [longFlv, join(longHls, 'index.m3u8')]);
if (!doTtff && !doSeek && !doHlsTtff && !doHlsSeek && !doPlay) process.exit(0);
if (!existsSync(join(ROOT, 'dist', 'index.html'))) {
  console.log('skipping the player benchmarks: the web app is not built (dist/index.html); `make web` builds it');
  process.exit(0);
}
const haveTsWorker = existsSync(join(ROOT, 'dist', 'relive-ts-worker_loader.js'));
if ((doHlsTtff || doHlsSeek || doPlay) && !haveTsWorker) {
  console.log('note: dist/ has no relive-ts-worker (the web app was built before it existed): our HLS rows will fail; `make web` rebuilds it');
}
if (!process.env.RELIVE_BIN && !existsSync(join(ROOT, 'target', 'debug', 'relive'))) {
  execFileSync('cargo', ['build', '--quiet', '-p', 'relive-server'], { cwd: ROOT, stdio: 'inherit' });
}

const median = (xs) => { const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b); const m = s.length >> 1; return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const durationOf = (file) => Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).toString());
const fmt = (ms) => (ms == null || Number.isNaN(ms) ? '—' : `${Math.round(ms)}`);
const fmt1 = (ms) => (ms == null || Number.isNaN(ms) ? '—' : ms.toFixed(1));
const pkgVersion = (name) => JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

// ---- the server, the recordings, the other players' pages -------------------------------------
const server = await startServer();
const now = Math.floor(Date.now() / 1000);
// The other players' pages and their dist builds go into the media folder: served by the
// same relive server, same origin as the media (the server sends no CORS headers for
// /media/, so a page on another origin could not read it at all).
const benchDir = join(server.dir, 'media', 'bench');
mkdirSync(benchDir, { recursive: true });
copyFileSync(join(here, 'node_modules', 'mpegts.js', 'dist', 'mpegts.js'), join(benchDir, 'mpegts.js'));
for (const f of ['hls.min.js', 'hls.worker.js']) copyFileSync(join(here, 'node_modules', 'hls.js', 'dist', f), join(benchDir, f));
for (const f of ['mpegts-player.html', 'mpegts-player.js', 'hls-player.html', 'hls-player.js']) copyFileSync(join(here, 'web', f), join(benchDir, f));
const mpegtsPage = (url, autoplay = true) => `${server.base}/media/bench/mpegts-player.html?url=${encodeURIComponent(url)}` +
  (mpegtsConfig ? `&config=${encodeURIComponent(mpegtsConfig)}` : '') + (autoplay ? '' : '&autoplay=0');
const hlsPage = (url, autoplay = true) => `${server.base}/media/bench/hls-player.html?url=${encodeURIComponent(url)}` +
  (hlsConfig ? `&config=${encodeURIComponent(hlsConfig)}` : '') + (autoplay ? '' : '&autoplay=0');

async function replayId(streamId) {
  const page = await (await fetch(`${server.base}/api/v1/streamers/${encodeURIComponent(streamId)}/replays`)).json();
  return page.items[0].id;
}

/** Publishes an FLV, announces it as a Tencent FLV recording, waits for the server's keyframe index. */
const announced = new Map();
async function announceFlv(file, streamId) {
  if (announced.has(streamId)) return announced.get(streamId);
  const name = `${streamId}.flv`;
  const url = publish(server, file, name);
  const size = statSync(file).size;
  const duration = durationOf(file);
  const t0 = performance.now();
  await server.tencentRecording({ streamId, fileId: streamId, start: now - 7200, duration: Math.round(duration), url, format: 'flv', size });
  const id = await replayId(streamId);
  let keyframes;
  for (;;) {
    const r = await fetch(`${server.base}/api/v1/replays/${id}/keyframes`);
    const body = await r.json();
    if (r.status === 200) { keyframes = body.times_ms.length; break; }
    if (r.status !== 202) throw new Error(`keyframes of ${name}: ${r.status} ${JSON.stringify(body)}`);
    if (performance.now() - t0 > 300_000) throw new Error(`keyframes of ${name}: not built in 5 min`);
    await sleep(20);
  }
  const rec = {
    id, url, size, duration, indexMs: performance.now() - t0, keyframes, name, file,
    ours: `${server.base}/u/${streamId}/replays/${id}`,
    embed: `${server.base}/embed/replays/${id}`,
    other: mpegtsPage(url),
    otherPaused: mpegtsPage(url, false),
  };
  announced.set(streamId, rec);
  return rec;
}

/** Copies an HLS folder into the media folder and announces its playlist as a Tencent HLS recording. */
async function announceHls(dir, streamId) {
  if (announced.has(streamId)) return announced.get(streamId);
  const dest = join(server.dir, 'media', 'test', streamId);
  cpSync(dir, dest, { recursive: true });
  const url = `${server.base}/media/test/${encodeURIComponent(streamId)}/index.m3u8`;
  const text = readFileSync(join(dir, 'index.m3u8'), 'utf8');
  const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
  const duration = durations.reduce((a, b) => a + b, 0);
  const size = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  await server.tencentRecording({ streamId, fileId: streamId, start: now - 3600, duration: Math.round(duration), url, format: 'hls', size });
  const id = await replayId(streamId);
  const rec = {
    id, url, size, duration, segments: durations.length, name: `${streamId}/index.m3u8`, file: dir,
    ours: `${server.base}/u/${streamId}/replays/${id}`,
    embed: `${server.base}/embed/replays/${id}`,
    other: hlsPage(url),
    otherPaused: hlsPage(url, false),
  };
  announced.set(streamId, rec);
  return rec;
}

// ---- the browser ---------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--js-flags=--expose-gc', '--autoplay-policy=no-user-gesture-required'],
});

// Runs before any script of the page: timestamps (performance.now(), i.e. ms since
// navigation start) of the first FLV fetch, the first <video>'s events and the first frame
// presented (requestVideoFrameCallback's presentationTime); and a log of what the player
// does (`__probe.log`: [ms, what, detail]): its workers' messages both ways, MediaSource
// and SourceBuffer calls and events, the element's events, long tasks.
const probe = () => {
  const P = (window.__probe = { t: {}, log: [], longTasks: [] });
  const mark = (k, v = performance.now()) => { if (P.t[k] === undefined) P.t[k] = v; };
  const log = (what, detail, t = performance.now()) => { if (P.log.length < 20000) P.log.push([t, what, detail]); };
  P.mark = mark;
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const u = typeof input === 'string' ? input : input.url;
    if (/\.flv(\?|$)/.test(u)) mark('flvFetch');
    return fetch0.apply(this, arguments);
  };
  const kind = (m) => (m && typeof m === 'object' ? (m.type ?? m.event ?? m.cmd ?? '?') : typeof m);
  const size = (m) => (m && typeof m === 'object' && m.data && m.data.byteLength !== undefined ? m.data.byteLength : '');
  const W = window.Worker;
  window.Worker = class extends W {
    constructor(url, opts) {
      super(url, opts);
      log('worker new', String(url).split('/').pop());
      this.addEventListener('message', (e) => log(`worker→ ${kind(e.data)}`, size(e.data)));
    }
    postMessage(m, t) { log(`→worker ${kind(m)}`, size(m)); return super.postMessage(m, t); }
  };
  const SB = window.SourceBuffer && window.SourceBuffer.prototype;
  if (SB) {
    const seen = new WeakSet();
    const append0 = SB.appendBuffer;
    SB.appendBuffer = function (data) {
      if (!seen.has(this)) {
        seen.add(this);
        this.addEventListener('updateend', () => {
          const b = this.buffered;
          log('updateend', b.length ? +b.end(b.length - 1).toFixed(3) : '');
        });
      }
      log('appendBuffer', data.byteLength);
      return append0.call(this, data);
    };
    const remove0 = SB.remove;
    SB.remove = function (a, b) { log('remove', `${a.toFixed(1)}-${b === Infinity ? 'inf' : b.toFixed(1)}`); return remove0.call(this, a, b); };
  }
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
    constructor() {
      super();
      mark('mediaSource');
      log('MediaSource new', '');
      this.addEventListener('sourceopen', () => { mark('sourceopen'); log('sourceopen', ''); });
    }
    addSourceBuffer(t) { log('addSourceBuffer', t); return super.addSourceBuffer(t); }
    endOfStream() { log('endOfStream', ''); return super.endOfStream(); }
  };
  for (const ev of ['loadedmetadata', 'loadeddata', 'playing']) document.addEventListener(ev, (e) => { if (e.target === window.__video) mark(ev); }, true);
  for (const ev of ['loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough', 'play', 'playing', 'waiting', 'pause', 'seeking', 'seeked', 'stalled', 'ended']) {
    document.addEventListener(ev, (e) => { if (e.target === window.__video) log(`video ${ev}`, +e.target.currentTime.toFixed(3)); }, true);
  }
  document.addEventListener('timeupdate', (e) => {
    if (e.target !== window.__video) return;
    if (e.target.currentTime > 0) mark('timeupdate');
    if (P.log.filter((x) => x[1] === 'video timeupdate').length < 20) log('video timeupdate', +e.target.currentTime.toFixed(3));
  }, true);
  try {
    // Logged at their start (they arrive later): readers sort the log by time.
    new PerformanceObserver((l) => { for (const e of l.getEntries()) { P.longTasks.push([e.startTime, e.duration]); log('longtask', Math.round(e.duration), e.startTime); } })
      .observe({ type: 'longtask', buffered: true });
  } catch { /* no long task timing */ }
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

// ---- time to first frame, from navigation ------------------------------------------------------
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
        if (/\/mpegts\.js$|\/hls\.min\.js$|_bg\.wasm$/.test(e.name)) P.t.code = e.responseEnd;
        if (/\/api\/v1\/replays\/\d+$/.test(e.name)) P.t.replayApi = e.responseEnd;
        if (/\.m3u8(\?|$)/.test(e.name)) P.mark('playlistFetch', e.startTime);
        if (/\.ts(\?|$)/.test(e.name)) P.mark('segmentFetch', e.startTime);
      }
      return { t: P.t, mse: window.__video.src.startsWith('blob:'), log: P.log.filter(([t]) => t <= P.t.firstFrame + 1).sort((a, b) => a[0] - b[0]) };
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

/**
 * A log ([ms, what, detail]) as lines: runs of the same event collapsed
 * (`→worker push ×8 (12.0–14.5, 1048576 B)`), `perLine` entries a line.
 */
function timeline(log, perLine = 4) {
  const out = [];
  for (const [t, w, d] of log) {
    const last = out.at(-1);
    if (last && last.w === w) { last.n += 1; last.t1 = t; if (typeof d === 'number' && !/^updateend|^video/.test(w)) last.sum += d; continue; }
    out.push({ w, t0: t, t1: t, n: 1, d, sum: typeof d === 'number' && !/^updateend|^video/.test(w) ? d : 0 });
  }
  const text = out.map((e) => (e.n === 1
    ? `${fmt1(e.t0)} ${e.w}${e.d === '' || e.d === undefined ? '' : ` ${e.d}`}`
    : `${fmt1(e.t0)}–${fmt1(e.t1)} ${e.w} ×${e.n}${e.sum ? ` (${e.sum} B)` : /^updateend|^video/.test(e.w) ? ` (→ ${e.d})` : ''}`));
  const lines = [];
  for (let i = 0; i < text.length; i += perLine) lines.push(`    ${text.slice(i, i + perLine).join(' | ')}`);
  return lines;
}

/** The run whose `key(r)` is nearest the median of all. */
function nearestMedian(rs, key) {
  const ok = rs.filter((r) => key(r) != null && !Number.isNaN(key(r)));
  if (!ok.length) return null;
  const m = median(ok.map(key));
  return ok.reduce((a, b) => (Math.abs(key(b) - m) < Math.abs(key(a) - m) ? b : a));
}

async function ttffBench(rec, otherName, fetchKey, fetchLabel) {
  const results = { ours: [], other: [] };
  for (let i = 0; i < runs + 1; i++) { // run 0: warm-up, not counted
    const order = i % 2 ? ['other', 'ours'] : ['ours', 'other'];
    for (const who of order) {
      const r = await ttffRun(rec[who]);
      if (i > 0) results[who].push(r);
      if (r.errors) console.log(`  (${who === 'ours' ? 'our' : otherName} page said: ${r.errors.join('; ')})`);
    }
  }
  const keys = [['document', 'HTML document loaded'], ['code', `player code loaded (.wasm / ${otherName})`],
    ['appStarted', 'ours: wasm app started'], ['replayApi', 'ours: replay API answered'], ['mediaSource', 'MediaSource created'], ['sourceopen', 'sourceopen'],
    ...(fetchKey === 'flvFetch' ? [['flvFetch', 'FLV fetch starts']] : [['playlistFetch', 'playlist fetch starts'], ['segmentFetch', 'first segment fetch starts']]),
    ['loadedmetadata', 'loadedmetadata'], ['loadeddata', 'loadeddata'],
    ['firstFrame', 'first frame presented (rVFC)'], ['playing', '`playing` event'], ['timeupdate', 'first timeupdate, currentTime > 0']];
  console.log(`ms since navigation start, median of ${runs} runs (after 1 warm-up each), fresh browser context per run, autoplay:`);
  console.log(`${''.padEnd(40)} ${'ours'.padStart(8)} ${otherName.padStart(10)} ${'ratio'.padStart(7)}   ours range / ${otherName} range`);
  const med = {};
  for (const [k, label] of keys) {
    const a = results.ours.map((r) => r.t[k]), b = results.other.map((r) => r.t[k]);
    med[k] = [median(a), median(b)];
    const range = (xs) => (xs.every((x) => x === undefined) ? '—' : `${fmt(Math.min(...xs.filter((x) => x !== undefined)))}–${fmt(Math.max(...xs.filter((x) => x !== undefined)))}`);
    const ratio = Number.isFinite(med[k][1] / med[k][0]) ? `${(med[k][1] / med[k][0]).toFixed(2)}x` : '';
    console.log(`${label.padEnd(40)} ${fmt(med[k][0]).padStart(8)} ${fmt(med[k][1]).padStart(10)} ${ratio.padStart(7)}   ${range(a)} / ${range(b)}`);
  }
  const fromFetch = (rs) => median(rs.map((r) => r.t.firstFrame - r.t[fetchKey]));
  const ff = [fromFetch(results.ours), fromFetch(results.other)];
  console.log(`${`${fetchLabel} → first frame`.padEnd(40)} ${fmt(ff[0]).padStart(8)} ${fmt(ff[1]).padStart(10)} ${`${(ff[1] / ff[0]).toFixed(2)}x`.padStart(7)}`);
  console.log(`(ratio = ${otherName} / ours: above 1, ours is faster)`);
  const r = med.firstFrame[0] / med.firstFrame[1];
  // Where the time goes, one run each (the one nearest the median): from the media request on.
  for (const who of ['ours', 'other']) {
    const r = nearestMedian(results[who], (x) => x.t.firstFrame);
    if (!r) continue;
    const from = r.t[fetchKey] ?? 0;
    console.log(`  ${who === 'ours' ? 'ours' : otherName}, the run nearest the median (ms since navigation; ${fetchLabel} at ${fmt1(from)}, first frame at ${fmt1(r.t.firstFrame)}):`);
    for (const l of timeline(r.log.filter(([t]) => t >= from - 50), 3)) console.log(l);
  }
  console.log(`time to first frame (navigation start → first frame presented): ours ${fmt(med.firstFrame[0])} ms, ` +
    `${otherName} ${fmt(med.firstFrame[1])} ms: ours / ${otherName} = ${r.toFixed(2)} (goal ≤ 0.7: ${r <= 0.7 ? 'met' : 'short'}); from the ${fetchLabel}: ` +
    `ours ${fmt(ff[0])} ms, ${otherName} ${fmt(ff[1])} ms (ours / ${otherName} = ${(ff[0] / ff[1]).toFixed(2)})`);
}

// ---- seek latency ----------------------------------------------------------------------------
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
    const log = window.__probe.log.filter(([t]) => t >= t0).sort((a, b) => a[0] - b[0]).map(([t, w, d]) => [t - t0, w, d]);
    resolve({ from, seeked, seekedNear, log, ...extra, state: { currentTime: +v.currentTime.toFixed(2), seeking: v.seeking, paused: v.paused, readyState: v.readyState, buffered: ranges } });
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
  } catch (e) {
    throw new Error(`${url}: ${e.message}; page said: ${page.errors.join('; ')}`);
  } finally {
    await context.close();
  }
}

async function seekBench(rec, otherName, fractions, oursNeedsIndex) {
  console.log(`each seek: fresh context, page opened, wait until playing and currentTime ≥ 1 s, then video.currentTime = target; ` +
    `done when \`seeked\` fired, currentTime within 2 s of the target, not paused and currentTime advancing; timeout ${seekTimeoutMs / 1000} s`);
  const all = { ours: [], other: [] };
  console.log(`${'target'.padEnd(14)} ${'ours: seeked / playing ms'.padEnd(34)} ${otherName}: seeked / playing ms`);
  for (const f of fractions) {
    const target = Math.round(rec.duration * f);
    const per = { ours: [], other: [] };
    for (let i = 0; i < seekRuns; i++) {
      for (const who of i % 2 ? ['other', 'ours'] : ['ours', 'other']) {
        const r = await seekRun(rec[who], target, who === 'ours' && oursNeedsIndex);
        r.target = target;
        per[who].push(r);
        all[who].push(r);
      }
    }
    const cell = (rs) => rs.map((r) => `${fmt(r.seekedNear)}/${r.playing == null ? 'TIMEOUT' : fmt(r.playing)}`).join(' ');
    console.log(`${`${f * 100}% (${target} s)`.padEnd(14)} ${cell(per.ours).padEnd(34)} ${cell(per.other)}`);
    for (const who of ['ours', 'other']) {
      for (const r of per[who].filter((r) => r.playing == null)) {
        console.log(`  ${who === 'ours' ? 'ours' : otherName} did not reach ${target} s within ${seekTimeoutMs / 1000} s: seeked ${r.seeked == null ? 'never fired' : `at ${fmt(r.seeked)} ms`}; ` +
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
  console.log(`${'ours:'.padEnd(otherName.length + 2)} ${summary('ours')}`);
  console.log(`${`${otherName}:`.padEnd(otherName.length + 2)} ${summary('other')}`);
  for (const who of ['ours', 'other']) {
    const counts = new Map();
    for (const r of all[who]) for (const e of new Set(r.errors ?? [])) counts.set(e, (counts.get(e) ?? 0) + 1);
    for (const [e, n] of counts) console.log(`  ${who === 'ours' ? 'our page' : `the ${otherName} page`}: uncaught error or console error in ${n} of ${all[who].length} runs: ${e.slice(0, 200)}`);
  }
  for (const who of ['ours', 'other']) {
    const r = nearestMedian(ok(all[who]), (x) => x.playing);
    if (!r) continue;
    console.log(`  ${who === 'ours' ? 'ours' : otherName}, the seek nearest the median (to ${r.target} s; ms after the seek, to playing at ${fmt1(r.playing)}):`);
    for (const l of timeline(r.log.filter(([t]) => t <= r.playing + 1).filter(([, w]) => w !== 'video timeupdate'), 3)) console.log(l);
  }
  const a = median(ok(all.ours).map((r) => r.playing)), b = median(ok(all.other).map((r) => r.playing));
  if (ok(all.other).length && ok(all.ours).length) {
    console.log(`time to playing at the target: ours / ${otherName} = ${(a / b).toFixed(2)} (${otherName} / ours = ${(b / a).toFixed(1)}x; goal: no slower, ≤ 1: ${a <= b ? 'met' : 'short'})`);
  } else console.log(`ratio: none — ${ok(all.other).length ? 'ours' : otherName} reached no target within ${seekTimeoutMs / 1000} s`);
}

// ---- first frame from play() -------------------------------------------------------------------
/**
 * In the page: waits until the paused player has preloaded, then calls video.play() and
 * waits for the next frames presented (requestVideoFrameCallback). `settled`: readyState ≥ 3
 * and 10 s buffered, then the buffered end unchanged for 1 s (30 s at most): the page has
 * sat a while. `ready`: play() at the first readyState ≥ 3 (HAVE_FUTURE_DATA), while the
 * player is still downloading and appending. Times are ms after the play() call.
 */
const playInPage = async ({ wait, settleMs, capMs }) => {
  const v = window.__video;
  const P = window.__probe;
  const end = () => (v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0);
  const t0 = performance.now();
  if (wait === 'ready') settleMs = 0;
  while (!(v.readyState >= 3 && (wait === 'ready' || end() >= 10))) {
    if (performance.now() - t0 > capMs) return { error: `not preloaded after ${capMs} ms: readyState ${v.readyState}, buffered to ${end().toFixed(1)} s` };
    await new Promise((r) => setTimeout(r, wait === 'ready' ? 1 : 20));
  }
  let last = end(), since = performance.now(), settled = wait !== 'ready';
  while (performance.now() - since < settleMs) {
    await new Promise((r) => setTimeout(r, 20));
    if (end() !== last) { last = end(); since = performance.now(); }
    if (performance.now() - t0 > capMs) { settled = false; break; }
  }
  const before = { readyState: v.readyState, buffered: +end().toFixed(1), currentTime: v.currentTime, settled, preloadMs: Math.round(performance.now() - t0) };
  // Frames presented from play() on (a callback can report the frame shown before it,
  // still paused: skipped); the first is the first frame the viewer sees move.
  const frames = [];
  let start = null;
  const firstFrame = new Promise((resolve) => {
    let calls = 0;
    const onFrame = (now, m) => {
      if (start !== null && m.presentationTime >= start) {
        frames.push({ presentation: m.presentationTime, callback: now, mediaTime: m.mediaTime, presentedFrames: m.presentedFrames });
      }
      if (frames.length < 3 && ++calls < 10) v.requestVideoFrameCallback(onFrame);
      else resolve();
    };
    v.requestVideoFrameCallback(onFrame);
  });
  const at = {};
  const once = (ev) => v.addEventListener(ev, () => { at[ev] ??= performance.now(); }, { once: true });
  once('play'); once('playing');
  const onTime = () => { if (v.currentTime > before.currentTime && at.timeupdate === undefined) at.timeupdate = performance.now(); };
  v.addEventListener('timeupdate', onTime);
  start = performance.now();
  const p = v.play();
  at.playReturned = performance.now();
  let playError = null;
  if (p) p.catch((e) => { playError = String(e); });
  await Promise.race([firstFrame, new Promise((r) => setTimeout(r, 5000))]);
  await new Promise((r) => setTimeout(r, 100));
  v.removeEventListener('timeupdate', onTime);
  const rel = (t) => (t === undefined ? null : t - start);
  const log = P.log.filter(([t]) => t >= start).sort((a, b) => a[0] - b[0]).map(([t, what, detail]) => [+(t - start).toFixed(1), what, detail]);
  return {
    before, playError,
    firstFrame: frames.length ? frames[0].presentation - start : null,
    firstFrameCallback: frames.length ? Math.max(0, frames[0].callback - start) : null,
    mediaTime: frames.length ? frames[0].mediaTime : null,
    // When the media clock started, from the first frame reported: its presentation time
    // less the media time played until it. Unlike the first frame reported, it does not
    // move later when callbacks come late (a busy page thread) and skip frames.
    clockStart: frames.length ? frames[0].presentation - (frames[0].mediaTime - before.currentTime) * 1000 - start : null,
    frames: frames.map((f) => ({ presentation: +(f.presentation - start).toFixed(1), mediaTime: f.mediaTime, presentedFrames: f.presentedFrames })),
    playReturned: rel(at.playReturned), playEvent: rel(at.play), playing: rel(at.playing), timeupdate: rel(at.timeupdate),
    log,
  };
};

async function playRun(url, wait) {
  const { page, context } = await openPage(url);
  try {
    await page.waitForFunction(() => window.__video, null, { timeout: 30_000, polling: wait === 'ready' ? 5 : 'raf' });
    const r = await page.evaluate(playInPage, { wait, settleMs: 1000, capMs: 30_000 });
    if (r.error) throw new Error(r.error);
    if (page.errors.length) r.errors = page.errors;
    return r;
  } catch (e) {
    throw new Error(`${url}: ${e.message}; page said: ${page.errors.join('; ')}`);
  } finally {
    await context.close();
  }
}

/** What happened between play() and the first frame, summed over a run's log. */
function window_(r) {
  const inWindow = r.log.filter(([t]) => t >= 0 && t <= (r.firstFrame ?? 0));
  const count = (re) => inWindow.filter(([, w]) => re.test(w)).length;
  const bytes = inWindow.filter(([, w]) => w === 'appendBuffer').reduce((n, [, , d]) => n + (d || 0), 0);
  const longTasks = inWindow.filter(([, w]) => w === 'longtask').reduce((n, [, , d]) => n + d, 0);
  return { appends: count(/^appendBuffer$/), appendBytes: bytes, toWorker: count(/^→worker/), fromWorker: count(/^worker→/), longTasks };
}

async function playBench(rec, otherName, wait) {
  const results = { ours: [], other: [] };
  for (let i = 0; i < playRuns + 1; i++) { // run 0: warm-up, not counted
    const order = i % 2 ? ['other', 'ours'] : ['ours', 'other'];
    for (const who of order) {
      const r = await playRun(who === 'ours' ? rec.embed : rec.otherPaused, wait);
      if (i > 0) results[who].push(r);
      if (r.errors) console.log(`  (${who === 'ours' ? 'our' : otherName} page said: ${r.errors.join('; ')})`);
      if (r.playError) console.log(`  (${who === 'ours' ? 'our' : otherName} play() rejected: ${r.playError})`);
    }
  }
  console.log(`ms after video.play(), median of ${playRuns} runs (after 1 warm-up each), fresh context per run, player opened paused ` +
    `(ours: /embed/replays/${rec.id}; ${otherName}: its page with ?autoplay=0), play() ` +
    (wait === 'ready' ? 'at its first readyState ≥ 3 (still loading):' : 'once preloaded (readyState ≥ 3, 10 s buffered, buffered end unchanged for 1 s):'));
  console.log(`${''.padEnd(44)} ${'ours'.padStart(8)} ${otherName.padStart(10)}   ours range / ${otherName} range`);
  const line = (label, f, fmtf = fmt) => {
    const a = results.ours.map(f), b = results.other.map(f);
    const range = (xs) => (xs.every((x) => x == null) ? '—' : `${fmtf(Math.min(...xs.filter((x) => x != null)))}–${fmtf(Math.max(...xs.filter((x) => x != null)))}`);
    console.log(`${label.padEnd(44)} ${fmtf(median(a)).padStart(8)} ${fmtf(median(b)).padStart(10)}   ${range(a)} / ${range(b)}`);
    return [median(a), median(b)];
  };
  line('preloaded: buffered ahead at play() (s)', (r) => r.before.buffered);
  line('preloaded: readyState at play()', (r) => r.before.readyState);
  line('preloading took (ms from the probe start)', (r) => r.before.preloadMs);
  line('play() returned', (r) => r.playReturned, fmt1);
  line('`play` event', (r) => r.playEvent, fmt1);
  const ff = line('first frame presented (rVFC presentationTime)', (r) => r.firstFrame, fmt1);
  line('its rVFC callback ran', (r) => r.firstFrameCallback, fmt1);
  line('its mediaTime (s)', (r) => r.mediaTime, (x) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(3)));
  line('media clock started (from that frame)', (r) => r.clockStart, fmt1);
  line('`playing` event', (r) => r.playing, fmt1);
  line('first timeupdate with currentTime advanced', (r) => r.timeupdate, fmt1);
  line('second frame presented', (r) => r.frames[1]?.presentation, fmt1);
  line('in between: appendBuffer calls', (r) => window_(r).appends);
  line('in between: bytes appended', (r) => window_(r).appendBytes);
  line('in between: messages to / from workers', (r) => window_(r).toWorker + window_(r).fromWorker);
  line('in between: long tasks (ms)', (r) => window_(r).longTasks);
  if (wait !== 'ready') line('settled (buffered end unchanged 1 s) before play', (r) => (r.before.settled ? 1 : 0));
  const ratio = ff[0] / ff[1];
  console.log(`first frame from play() (${wait}): ours ${fmt1(ff[0])} ms, ${otherName} ${fmt1(ff[1])} ms: ours / ${otherName} = ${ratio.toFixed(2)} ` +
    `(goal ≤ 0.7: ${ratio <= 0.7 ? 'met' : 'short'})`);
  // One run's timeline each, the one nearest the median: what each page did from play() on.
  for (const who of ['ours', 'other']) {
    const r = nearestMedian(results[who], (x) => x.firstFrame);
    if (!r) continue;
    const shown = r.log.filter(([t]) => t <= (r.frames.at(-1)?.presentation ?? r.firstFrame) + 5);
    console.log(`  ${who === 'ours' ? 'ours' : otherName}, the run nearest the median (ms after play(); frames presented at ` +
      `${r.frames.map((f) => `${f.presentation} (media ${f.mediaTime.toFixed(3)} s)`).join(', ')}):`);
    for (const l of timeline(shown)) console.log(l);
  }
}

// ---- run ---------------------------------------------------------------------------------------
try {
  console.log(`\nPlayer benchmarks: relive server (${process.env.RELIVE_BIN ?? 'target/debug/relive'}) on ${server.base}, ` +
    `headless Chromium ${browser.version()}, mpegts.js ${pkgVersion('mpegts.js')} (dist/mpegts.js, ${mpegtsConfig ? `config ${mpegtsConfig}` : 'default config'}), ` +
    `hls.js ${pkgVersion('hls.js')} (dist/hls.min.js, workerPath hls.worker.js${hlsConfig ? `, config ${hlsConfig}` : ''})`);

  if (doTtff) {
    const rec = await announceFlv(ttffFlv, 'bench-ttff');
    console.log(`\n1. FLV, time to first frame: ${rec.name} = ${ttffFlv} (${(rec.size / 1e6).toFixed(1)} MB, ${rec.duration.toFixed(0)} s); ` +
      `the server indexed it in ${fmt(rec.indexMs)} ms (${rec.keyframes} keyframes) before the runs`);
    await ttffBench(rec, 'mpegts.js', 'flvFetch', 'FLV fetch start');
  }

  if (doSeek) {
    const rec = await announceFlv(seekFlv, 'bench-seek');
    console.log(`\n2. FLV, seek latency: ${rec.name} = ${seekFlv} (${(rec.size / 1e6).toFixed(1)} MB, ${rec.duration.toFixed(0)} s, no keyframe index in its metadata)`);
    console.log(`server's keyframe index: built in ${fmt(rec.indexMs)} ms after the recording callback ` +
      `(callback → first 200 from GET /api/v1/replays/${rec.id}/keyframes, polled every 20 ms; ${rec.keyframes} keyframes)`);
    await seekBench(rec, 'mpegts.js', seekFractions, true);
  }

  if (doHlsTtff) {
    const rec = await announceHls(longHls, 'bench-hls');
    console.log(`\n3. HLS, time to first frame: ${rec.name} = ${longHls}/ (${(rec.size / 1e6).toFixed(1)} MB, ${rec.duration.toFixed(0)} s, ${rec.segments} segments)`);
    await ttffBench(rec, 'hls.js', 'playlistFetch', 'playlist fetch start');
  }

  if (doHlsSeek) {
    const rec = await announceHls(longHls, 'bench-hls');
    console.log(`\n4. HLS, seek latency: ${rec.name} (${rec.duration.toFixed(0)} s, ${rec.segments} segments of ~4 s)`);
    await seekBench(rec, 'hls.js', hlsSeekFractions, false);
  }

  if (doPlay) {
    const flv = await announceFlv(longFlv, 'bench-long');
    const hls = await announceHls(longHls, 'bench-hls');
    for (const wait of playWaits) {
      console.log(`\n5. FLV, first frame from play() (${wait}): ${flv.name} = ${longFlv} (${(flv.size / 1e6).toFixed(1)} MB, ${flv.duration.toFixed(0)} s)`);
      await playBench(flv, 'mpegts.js', wait);
      console.log(`\n5. HLS, first frame from play() (${wait}): ${hls.name} (${hls.duration.toFixed(0)} s)`);
      await playBench(hls, 'hls.js', wait);
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
