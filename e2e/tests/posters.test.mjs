// Posters and seek-bar previews (issue 14), all real: nginx-rtmp (our deploy/ config)
// recording a push whose colour changes every 10 s, our server decoding its keyframes
// in-process into a poster and a storyboard, and each engine showing the tile under the
// pointer. Tencent's event-200 screenshots make the poster of a Tencent replay.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { startNginx } from '../lib/nginx.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';
import { colourInputs, testColours, publish, COLOURS } from '../lib/media.mjs';

const SECRET = 'e2e-hook-secret';
// 10 s each: 30–40 s is blue.
const BLOCKS = ['white', 'red', 'lime', 'blue', 'red'];
let server, nginx;
const found = {};


const until = (streamer, done, timeout = 60000) => server.untilReplays(streamer, done, timeout);

/** WebVTT cues as [{ start, end, text }] (seconds). */
function parseVtt(text) {
  const secs = (s) => s.split(':').reduce((acc, x) => acc * 60 + Number(x), 0);
  const cues = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^((?:\d+:)?\d+:\d+\.\d+)\s+-->\s+((?:\d+:)?\d+:\d+\.\d+)/.exec(lines[i]);
    if (m) cues.push({ start: secs(m[1]), end: secs(m[2]), text: lines[i + 1]?.trim() ?? '' });
  }
  return cues;
}

/**
 * In the page: the nearest of COLOURS (or 'black') to the mean colour of region `xywh` of the
 * image at `url`; also its natural size.
 */
const SAMPLE_IMAGE = (url, xywh) => `(async () => {
  const img = new Image();
  img.crossOrigin = 'anonymous';
  img.src = ${JSON.stringify(url)};
  await img.decode();
  const [x, y, w, h] = ${JSON.stringify(xywh)} ?? [0, 0, img.naturalWidth, img.naturalHeight];
  const c = document.createElement('canvas');
  c.width = 16; c.height = 16;
  const g = c.getContext('2d');
  g.drawImage(img, x, y, w, h, 0, 0, 16, 16);
  const d = g.getImageData(2, 2, 12, 12).data;
  let r = 0, gr = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  const mean = [r / n, gr / n, b / n];
  const colours = { ...${JSON.stringify(COLOURS)}, black: [0, 0, 0] };
  let best = null, dist = Infinity;
  for (const [name, [R, G, B]] of Object.entries(colours)) {
    const dd = (mean[0] - R) ** 2 + (mean[1] - G) ** 2 + (mean[2] - B) ** 2;
    if (dd < dist) { dist = dd; best = name; }
  }
  return { colour: best, mean: mean.map(Math.round), width: img.naturalWidth, height: img.naturalHeight };
})()`;

/** A one-colour JPEG (ffmpeg), as a recording service's screenshot. */
function jpeg(dir, name, colour) {
  const file = join(dir, name);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:size=320x180`, '-frames:v', '1', file]);
  return file;
}

before(async () => {
  server = await startServer({ args: ['--hook-secret', SECRET] });
  nginx = await startNginx(server, SECRET);
});
after(async () => {
  nginx?.stop();
  await server?.stop();
});

test('a recording gets a poster (right size, not black) and a storyboard covering its whole duration', async () => {
  await nginx.push('posters', colourInputs(BLOCKS, 10, 45, { realtime: true }));
  const items = await until('posters', (l) => l.length === 1 && l[0].status === 'ready' && l[0].poster_url && l[0].storyboard_url);
  assert.equal(items.length, 1, 'one replay');
  const r = items[0];
  assert.ok(r.poster_url, `poster_url: ${JSON.stringify(r)}`);
  assert.ok(r.storyboard_url, 'storyboard_url');
  const poster = await fetch(new URL(r.poster_url, server.base));
  assert.equal(poster.status, 200);
  assert.match(poster.headers.get('content-type'), /^image\/(jpeg|webp)/);
  await poster.arrayBuffer();

  const vtt = await (await fetch(new URL(r.storyboard_url, server.base))).text();
  assert.match(vtt, /^WEBVTT/);
  const cues = parseVtt(vtt);
  assert.ok(cues.length >= 4, `cues: ${cues.length}`);
  assert.ok(cues[0].start <= 0.5, `first cue at ${cues[0].start}`);
  for (let i = 1; i < cues.length; i++) assert.ok(Math.abs(cues[i].start - cues[i - 1].end) < 0.002, `cue ${i} follows on`);
  assert.ok(cues.at(-1).end >= r.duration_secs - 1, `last cue ends at ${cues.at(-1).end} of ${r.duration_secs}`);
  for (const c of cues) assert.match(c.text, /#xywh=\d+,\d+,\d+,\d+$/);
  found.replay = r;
  found.cues = cues;
});

test('Tencent event-200 screenshots in a replay\'s time make its poster: the first good one', async () => {
  const dir = join(server.dir, 'media', 'shots');
  mkdirSync(dir, { recursive: true });
  const shot = (colour) => `${server.base}/media/shots/${colour}.jpg`;
  for (const c of ['blue', 'red', 'lime', 'white']) jpeg(dir, `${c}.jpg`, c);
  const start = Math.floor(Date.now() / 1000) - 7200;
  const stream = 'shots';
  const screenshot = (t, colour, size) => server.tencent({
    event_type: 200, app: 'push.example.com', appname: 'live', stream_id: stream, channel_id: stream, create_time: t,
    file_size: size, width: 320, height: 180, pic_url: `/shots/${colour}.jpg`, pic_full_url: shot(colour),
  });
  // Screenshots come while the push is live, before the file: before the broadcast (not
  // its), a tiny one (a black frame), then good ones.
  await screenshot(start - 3600, 'blue', 30000);
  await screenshot(start + 2, 'red', 900);
  await screenshot(start + 12, 'lime', 30000);
  await screenshot(start + 22, 'white', 30000);
  const flv = publish(server, testColours('red-40s.flv', ['red'], 40), 'shots.flv');
  await server.tencentRecording({ streamId: stream, fileId: 'shots-1', start, duration: 40, url: flv, format: 'flv', size: 1 });
  const items = await until(stream, (l) => l.length === 1 && l[0].poster_url);
  assert.equal(items[0]?.poster_url, shot('lime'), 'the first good screenshot in the replay\'s time');
  const vtt = await (await fetch(new URL(items[0].storyboard_url, server.base))).text();
  const cues = parseVtt(vtt);
  assert.ok(cues.some((c) => c.text.startsWith(shot('white'))), 'the screenshots are the storyboard');
  assert.ok(!cues.some((c) => c.text.startsWith(shot('blue'))), 'not one from before the broadcast');
  found.shots = items[0];
});

for (const engine of ENGINES) describe(`posters and previews in the page (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('the poster decodes at the video\'s size and is not black; the card shows it', async () => {
    const r = found.replay;
    assert.ok(r, 'the push was recorded (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/posters`);
    await page.waitSelector('.replay-card:not(.skeleton) .poster img');
    await page.waitFor(`(() => { const i = document.querySelector('.replay-card .poster img'); return i && i.complete && i.naturalWidth > 0; })()`);
    const src = await page.attr('.replay-card .poster img', 'src');
    assert.equal(new URL(src, server.base).href, new URL(r.poster_url, server.base).href);
    const s = await page.evaluate(SAMPLE_IMAGE(new URL(r.poster_url, server.base).href, null));
    assert.deepEqual([s.width, s.height], [r.width ?? 320, r.height ?? 180], 'the video\'s size');
    assert.notEqual(s.colour, 'black', `mean colour ${s.mean}`);
    assert.deepEqual(page.errors, []);
  });

  test('the card of a Tencent replay shows its screenshot poster', async () => {
    assert.ok(found.shots, 'the screenshots were announced (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/shots`);
    await page.waitFor(`(() => { const i = document.querySelector('.replay-card .poster img'); return i && i.complete && i.naturalWidth > 0; })()`);
    const s = await page.evaluate(SAMPLE_IMAGE(await page.attr('.replay-card .poster img', 'src'), null));
    assert.equal(s.colour, 'lime', `mean colour ${s.mean}`);
    assert.deepEqual(page.errors, []);
  });

  test('hovering the seek bar at 35 s shows the tile of the 30–40 s block, with the time', async () => {
    const r = found.replay;
    assert.ok(r, 'the push was recorded (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/posters/replays/${r.id}`);
    await page.waitVideo('v.readyState >= 1 && v.duration > 0');
    assert.equal(new URL(await page.attr('.player video', 'poster'), server.base).href, new URL(r.poster_url, server.base).href,
      'the poster shows before playback');
    const duration = await page.video('v.duration');
    // Wake the controls, then point at 35 s on the bar.
    const box = await page.evaluate(`(() => { const b = document.querySelector('.player .seek-bar').getBoundingClientRect(); return { x: b.left, y: b.top + b.height / 2, w: b.width }; })()`);
    await page.mouseMove(box.x + box.w / 2, box.y - 60);
    await page.mouseMove(box.x + (box.w * 35) / duration, box.y);
    await page.waitSelector('.seek-preview[data-url][data-xywh]', 15000);
    const url = await page.attr('.seek-preview', 'data-url');
    const xywh = (await page.attr('.seek-preview', 'data-xywh')).split(',').map(Number);
    const s = await page.evaluate(SAMPLE_IMAGE(new URL(url, server.base).href, xywh));
    assert.equal(s.colour, 'blue', `the tile at 35 s: mean colour ${s.mean} (${url}#xywh=${xywh})`);
    assert.match(await page.text('.seek-tip'), /0:3[45]/, 'the time under the tile');
    // And at 5 s, the first block.
    await page.mouseMove(box.x + (box.w * 5) / duration, box.y);
    await page.waitFor(`document.querySelector('.seek-preview')?.getAttribute('data-xywh') !== ${JSON.stringify(xywh.join(','))}`);
    const first = await page.evaluate(SAMPLE_IMAGE(new URL(await page.attr('.seek-preview', 'data-url'), server.base).href,
      (await page.attr('.seek-preview', 'data-xywh')).split(',').map(Number)));
    assert.equal(first.colour, 'white', `the tile at 5 s: ${first.mean}`);
    assert.deepEqual(page.errors, []);
  });

  test('dragging the slider (as a finger does) shows the tile for where it is; the embed page has the poster', async () => {
    const r = found.replay;
    assert.ok(r, 'the push was recorded (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/embed/replays/${r.id}`);
    await page.waitVideo('v.readyState >= 1 && v.duration > 0');
    assert.equal(new URL(await page.attr('.player video', 'poster'), server.base).href, new URL(r.poster_url, server.base).href);
    // A touch drag moves the range input without pointer hovering: its input events.
    await page.evaluate(`(() => { const i = document.querySelector('.player .seek-input'); i.value = '25'; i.dispatchEvent(new Event('input', { bubbles: true })); })()`);
    await page.waitSelector('.seek-preview[data-url][data-xywh]', 15000);
    const s = await page.evaluate(SAMPLE_IMAGE(new URL(await page.attr('.seek-preview', 'data-url'), server.base).href,
      (await page.attr('.seek-preview', 'data-xywh')).split(',').map(Number)));
    assert.equal(s.colour, 'lime', `the tile at 25 s: ${s.mean}`);
    assert.deepEqual(page.errors, []);
  });
});
