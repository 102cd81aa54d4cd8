// One broadcast, one replay (issue 13), all real: nginx-rtmp (our deploy/ config) splitting
// a push into 10-second parts, our server joining them, ffmpeg pushing solid colours that
// change every 10 s, and each engine playing the parts as one video — plus Tencent-style
// parts (an FLV and a moov-at-end MP4) stitched across formats.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { startNginx, pattern } from '../lib/nginx.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';
import { colourInputs, testColours, testColoursHls, publish, publishHls, SAMPLE_COLOUR } from '../lib/media.mjs';

const SECRET = 'e2e-hook-secret';
// Short, so a push restarted after it makes a second broadcast within the test.
const GAP = 6;
let server, nginx;
const found = {};

/** In the page: records in `window.__stalls` how long each wait for data lasted (ms). */
const STALLS = `(() => {
  const v = document.querySelector('.player video');
  window.__stalls = []; let since = null;
  v.addEventListener('waiting', () => { since = performance.now(); });
  v.addEventListener('playing', () => { if (since !== null) { window.__stalls.push(performance.now() - since); since = null; } });
})()`;

const push = (stream, inputs) => nginx.push(stream, inputs);

const replays = (streamer) => server.replays(streamer);
const until = (streamer, done, timeout) => server.untilReplays(streamer, done, timeout);

before(async () => {
  server = await startServer({ args: ['--hook-secret', SECRET, '--broadcast-gap', String(GAP)] });
  nginx = await startNginx(server, SECRET, { RELIVE_NGINX_RECORD_INTERVAL: '10s' });
});
after(async () => {
  nginx?.stop();
  await server?.stop();
});

test('a 35-second push recorded in 10-second parts is one replay of 4 parts', async () => {
  await push('colours', colourInputs(['red', 'lime', 'blue', 'white'], 10, 35, { realtime: true }));
  const items = await until('colours', (l) => l.length === 1 && l[0].parts.length === 4 && l[0].status === 'ready');
  assert.equal(items.length, 1, `one replay: ${JSON.stringify(items.map((r) => [r.id, r.parts.length, r.status]))}`);
  const r = items[0];
  assert.equal(r.parts.length, 4, 'four parts');
  assert.equal(r.status, 'ready');
  assert.ok(Math.abs(r.duration_secs - 35) <= 1, `duration ${r.duration_secs}`);
  r.parts.forEach((p, i) => {
    assert.equal(p.format, 'flv');
    if (i > 0) assert.ok(Math.abs(p.offset_secs - (r.parts[i - 1].offset_secs + r.parts[i - 1].duration_secs)) < 0.01, 'end to end');
  });
  assert.deepEqual(r.gaps, [], 'no gap inside one push');
  found.colours = r;
});

test('a push cut and restarted within the gap is one broadcast with a marked gap; after the gap, two', async () => {
  await push('cuts', pattern(4));
  // Longer than the 2 s the server takes for the jitter of its clocks, shorter than the gap.
  await new Promise((r) => setTimeout(r, 3500));
  await push('cuts', pattern(4));
  let items = await until('cuts', (l) => l.length === 1 && l[0].parts.length === 2 && l[0].status === 'ready');
  assert.equal(items.length, 1, 'one broadcast');
  assert.equal(items[0].parts.length, 2);
  assert.equal(items[0].gaps.length, 1, 'the cut is a gap');
  assert.ok(items[0].gaps[0].duration_secs >= 2 && items[0].gaps[0].duration_secs < GAP, `gap ${items[0].gaps[0].duration_secs}`);
  assert.ok(Math.abs(items[0].gaps[0].at_secs - items[0].parts[1].offset_secs) < 0.01);
  await new Promise((r) => setTimeout(r, (GAP + 2) * 1000));
  await push('cuts', pattern(4));
  items = await until('cuts', (l) => l.length === 2 && l.every((b) => b.status === 'ready'));
  assert.equal(items.length, 2, 'restarted after the gap: a second broadcast');
  assert.deepEqual(items.map((b) => b.parts.length), [1, 2], 'newest first');
});

test('FLV, moov-at-end MP4 and FLV parts of one Tencent session are one broadcast', async () => {
  // 40 s each: longer together than the player buffers ahead (60 s), so seeks open parts.
  const files = [
    ['mixed-1', 'flv', publish(server, testColours('red-40s.flv', ['red'], 40), 'mixed-1.flv')],
    ['mixed-2', 'mp4', publish(server, testColours('lime-40s-moov-last.mp4', ['lime'], 40), 'mixed-2.mp4')],
    ['mixed-3', 'flv', publish(server, testColours('blue-40s.flv', ['blue'], 40), 'mixed-3.flv')],
  ];
  const start = Math.floor(Date.now() / 1000) - 3600;
  const ext = JSON.stringify({ session_id: 'e2e-mixed-session' });
  // In reverse order, as Tencent may deliver them.
  for (const [i, [id, format, url]] of [...files.entries()].reverse()) {
    await server.tencent({ event_type: 100, stream_id: 'mixed', channel_id: 'mixed', file_id: id, file_format: format,
      start_time: start + 40 * i, end_time: start + 40 * (i + 1), duration: 40, file_size: 1, video_url: url, callback_ext: ext });
  }
  const items = await until('mixed', (l) => l.length === 1 && l[0].parts.length === 3);
  assert.equal(items.length, 1);
  assert.deepEqual(items[0].parts.map((p) => p.format), ['flv', 'mp4', 'flv'], 'in time order');
  assert.deepEqual(items[0].formats, ['flv', 'mp4']);
  found.mixed = items[0];
});

test('an HLS part and an FLV part of one session are one broadcast', async () => {
  const hls = publishHls(server, testColoursHls('blue-8s-hls', ['blue'], 8), 'mixed-hls');
  const flv = publish(server, testColours('white-6s.flv', ['white'], 6), 'mixedhls-2.flv');
  const start = Math.floor(Date.now() / 1000) - 7200;
  const ext = JSON.stringify({ session_id: 'e2e-hls-session' });
  await server.tencent({ event_type: 100, stream_id: 'mixedhls', channel_id: 'mixedhls', file_id: 'mixedhls-1', file_format: 'hls',
    start_time: start, end_time: start + 8, duration: 8, file_size: 1, video_url: hls, callback_ext: ext });
  await server.tencent({ event_type: 100, stream_id: 'mixedhls', channel_id: 'mixedhls', file_id: 'mixedhls-2', file_format: 'flv',
    start_time: start + 8, end_time: start + 14, duration: 6, file_size: 1, video_url: flv, callback_ext: ext });
  const items = await until('mixedhls', (l) => l.length === 1 && l[0].parts.length === 2);
  assert.deepEqual(items[0]?.parts.map((p) => p.format), ['hls', 'flv']);
  found.mixedHls = items[0];
});

/** Tencent's event 332 (recording status) of `session` on `stream`. */
const recordStatus = (stream, session, event, seq, time) => server.tencent({
  appid: 123456789, appname: 'live', domain: 'x.livepush.myqcloud.com', event_type: 332, stream_id: stream,
  session_id: session, record_event: event, seq: String(seq), event_time: time,
  record_detail: JSON.stringify({ file_format: 1, record_bps: 0, start_model: 1, record_content: 1, source_type: 1, codec_temp_id: 0 }),
});

for (const engine of ENGINES) describe(`a broadcast's status in the page (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('Tencent 332 events and the file make the card go recording → processing → ready; a failed start is failed with its reason', async () => {
    const stream = `status-${engine}`;
    const now = Math.floor(Date.now() / 1000);
    const badge = `.replay-card .status-badge`;
    const page = await browser.newPage();
    await recordStatus(stream, `${stream}-s`, 'record_start_succeeded', 1, now - 60);
    await page.goto(`${server.base}/u/${stream}`);
    await page.waitSelector(`${badge}[data-status=recording]`);
    await recordStatus(stream, `${stream}-s`, 'record_ended', 2, now - 5);
    await page.reload();
    await page.waitSelector(`${badge}[data-status=processing]`);
    const flv = publish(server, testColours('red-6s.flv', ['red'], 6), `${stream}.flv`);
    await server.tencent({ event_type: 100, stream_id: stream, channel_id: stream, file_id: `${stream}-1`, file_format: 'flv',
      start_time: now - 60, end_time: now - 5, duration: 55, file_size: 1, video_url: flv,
      callback_ext: JSON.stringify({ session_id: `${stream}-s` }) });
    await page.reload();
    // (Skeleton cards stand in while the list loads: wait for the real one.)
    await page.waitSelector('.replay-card:not(.skeleton)');
    await page.waitFor(`document.querySelectorAll('.replay-card .status-badge').length === 0`);
    assert.equal(await page.count('.replay-card:not(.skeleton)'), 1, 'one card, ready');

    const failed = `failed-${engine}`;
    await recordStatus(failed, `${failed}-s`, 'record_start_failed', 1, now - 30);
    await page.goto(`${server.base}/u/${failed}`);
    await page.waitSelector(`${badge}[data-status=failed]`);
    const reason = await page.attr(`${badge}[data-status=failed]`, 'title');
    assert.match(reason ?? '', /record_start_failed/, `the reason: ${reason}`);
    assert.deepEqual(page.errors, []);
  });
});

for (const engine of ENGINES) describe(`a broadcast plays as one video (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('seeking to 25 s shows part 3, and playback runs from part 1 into part 2 without a stall', async (t) => {
    const r = found.colours;
    assert.ok(r, 'the push was recorded (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/colours/replays/${r.id}`);
    await page.waitVideo('v.readyState >= 1');
    assert.ok(Math.abs(await page.video('v.duration') - r.duration_secs) < 1.5, 'the seek bar spans the broadcast');
    await page.video('v.currentTime = 25');
    await page.waitVideo('!v.seeking && v.readyState >= 2 && v.currentTime >= 24.9', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 10000);

    // From 7 s, across the first part boundary (10 s): any stall is short.
    await page.evaluate(STALLS);
    await page.video('v.currentTime = 7');
    await page.waitVideo('!v.seeking && v.readyState >= 2', 20000);
    await page.video('(v.muted = true, v.play(), true)');
    await page.waitVideo('v.currentTime > 12.5', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'lime'`, 5000);
    const stalls = await page.evaluate('window.__stalls');
    t.diagnostic(`${engine}: waits for data across the boundary (ms): ${JSON.stringify(stalls.map(Math.round))}`);
    assert.ok(stalls.every((ms) => ms < 1000), `stalls ${JSON.stringify(stalls)}`);
    assert.equal(await page.count('.player-error'), 0);
    assert.deepEqual(page.errors, []);
  });

  test('seeks open the part holding the target (FLV from its head, MP4 through its moov at the end), and a hole left by a seek is filled before playback gets there', async (t) => {
    const r = found.mixed;
    assert.ok(r, 'the parts were announced (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mixed/replays/${r.id}`);
    await page.waitVideo('v.readyState >= 2');
    await page.waitFor(`${SAMPLE_COLOUR} === 'red'`, 10000);
    // Part 3, not read yet: its head, then the keyframe before 85 s.
    await page.video('(v.pause(), v.currentTime = 85)');
    await page.waitVideo('!v.seeking && v.readyState >= 2 && v.currentTime >= 84.9', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 5000);
    // Back into what is still buffered of part 2 (65–80 s): nothing was read between its
    // end and 85 s, and playing on from there must not stall at that hole.
    await page.evaluate(STALLS);
    await page.video('v.currentTime = 72');
    await page.waitVideo('!v.seeking && v.readyState >= 2', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'lime'`, 5000);
    await page.video('(v.muted = true, v.play(), true)');
    await page.waitVideo('v.currentTime > 82', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 5000);
    const stalls = await page.evaluate('window.__stalls');
    t.diagnostic(`${engine}: waits for data across the boundary (ms): ${JSON.stringify(stalls.map(Math.round))}`);
    assert.ok(stalls.every((ms) => ms < 1000), `stalls ${JSON.stringify(stalls)}`);
    // Part 2, evicted by now: its moov (at the end), then the keyframe before 10 s of it.
    await page.video('(v.pause(), v.currentTime = 50)');
    await page.waitVideo('!v.seeking && v.readyState >= 2 && v.currentTime >= 49.9 && v.currentTime < 55', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'lime'`, 5000);
    await page.video('(v.pause(), v.currentTime = 5)');
    await page.waitVideo('!v.seeking && v.readyState >= 2 && v.currentTime < 10', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'red'`, 5000);
    assert.equal(await page.count('.player-error'), 0);
    assert.deepEqual(page.errors, []);
  });

  test('an HLS part then an FLV part play across the boundary, and a seek back lands in the playlist', async () => {
    const r = found.mixedHls;
    assert.ok(r, 'the parts were announced (the test before)');
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mixedhls/replays/${r.id}`);
    await page.waitVideo('v.readyState >= 2');
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 10000);
    await page.video('v.currentTime = 6.5');
    await page.waitVideo('!v.seeking && v.readyState >= 2', 20000);
    await page.video('(v.muted = true, v.play(), true)');
    await page.waitVideo('v.currentTime > 9', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'white'`, 5000);
    await page.video('(v.pause(), v.currentTime = 5)');
    await page.waitVideo('!v.seeking && v.readyState >= 2 && v.currentTime < 8', 20000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 5000);
    assert.equal(await page.count('.player-error'), 0);
    assert.deepEqual(page.errors, []);
  });
});
