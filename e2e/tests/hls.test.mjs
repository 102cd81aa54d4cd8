// HLS replays: the playlist read and its MPEG-TS segments remuxed to fMP4 in WebAssembly,
// played through MSE (never the browser's own HLS, even where it claims one). Each test
// runs in every engine, with ffmpeg-made VODs of 4 s segments (e2e/lib/media.mjs).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { ENGINES, launch, sleep } from '../lib/browser.mjs';
import {
  testHls, testHlsDiscontinuity, testHlsWrap, testHlsCorrupt, testHlsMissingSegment, testHlsFmp4, testHlsLong,
  publishHls,
} from '../lib/media.mjs';

let server;
const replays = {};
const now = Math.floor(Date.now() / 1000);

before(async () => {
  server = await startServer();
  const media = {
    // A minute: more than a few segments, so seeks fetch new ones.
    plain: testHls(60),
    discontinuity: testHlsDiscontinuity(40, 100),
    wrap: testHlsWrap(20),
    corrupt: testHlsCorrupt(20, 1),
    missing: testHlsMissingSegment(20, 1),
    fmp4: testHlsFmp4(20),
    long: testHlsLong(3),
  };
  for (const [name, hls] of Object.entries(media)) {
    const url = publishHls(server, hls, name);
    // The callback has no duration: the server reads it from the playlist.
    await server.tencentRecording({ streamId: `hls-${name}`, fileId: name, start: now - 3600, duration: 0, url, format: 'hls' });
    const list = await (await fetch(`${server.base}/api/v1/streamers/hls-${name}/replays`)).json();
    replays[name] = { id: list.items[0].id, hls };
  }
});
after(async () => { await server?.stop(); });

/** The replay's watch page, its <video> with metadata loaded. */
async function open(browser, name) {
  const page = await browser.newPage();
  page.segments = [];
  page.onConsole((_type, text) => { if (text.startsWith('HLS segment')) page.segments.push(text); });
  await page.goto(`${server.base}/u/hls-${name}/replays/${replays[name].id}`);
  await page.waitVideo('v.readyState >= 1');
  return page;
}

/** Seeks to `target` seconds and waits until it plays on from there. */
async function seekAndPlay(page, target) {
  await page.video(`(v.currentTime = ${target}, v.play(), 0)`);
  await page.waitVideo(`!v.seeking && Math.abs(v.currentTime - ${target}) < 2`);
  const from = await page.video('v.currentTime');
  await page.waitVideo(`!v.paused && v.currentTime > ${from} + 1`);
}

test('an HLS callback without a duration is listed with the playlist\'s', async () => {
  for (const name of ['plain', 'discontinuity']) {
    // The server reads the playlist in the background, a moment after the callback.
    let r;
    for (let i = 0; i < 100; i++) {
      r = (await (await fetch(`${server.base}/api/v1/streamers/hls-${name}/replays`)).json()).items[0];
      if (r.duration_secs > 0) break;
      await sleep(100);
    }
    assert.equal(r.format, 'hls');
    assert.ok(Math.abs(r.duration_secs - replays[name].hls.duration) < 1, `${name}: ${r.duration_secs} vs ${replays[name].hls.duration}`);
  }
});

for (const engine of ENGINES) describe(`HLS (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('an HLS VOD plays through MSE, and its seek bar spans the playlist', async () => {
    const page = await open(browser, 'plain');
    await page.video('v.play()');
    await page.waitVideo('v.currentTime > 1');
    assert.ok((await page.video('v.src')).startsWith('blob:'), 'played through MSE');
    const duration = await page.video('v.duration');
    assert.ok(Math.abs(duration - replays.plain.hls.duration) < 1, `duration ${duration}`);
    assert.equal(await page.count('.player-error'), 0);
    assert.deepEqual(page.errors, []);
  });

  test('seeking to 75% fetches the segment holding the target and plays from there', async () => {
    const page = await open(browser, 'plain');
    await page.video('v.play()');
    await page.waitVideo('v.currentTime > 0.5');
    const target = replays.plain.hls.duration * 0.75;
    await seekAndPlay(page, target);
    // 45 s is segment 11 (of 4 s segments): fetched for the seek.
    assert.ok(page.segments.some((s) => s.startsWith(`HLS segment ${Math.floor(target / 4)}:`)), page.segments.join('\n'));
    // And back to the start, then forward again by keys.
    await seekAndPlay(page, 2);
    await page.focus('.player');
    await page.press('5');
    await page.waitVideo(`!v.seeking && Math.abs(v.currentTime - ${replays.plain.hls.duration * 0.5}) < 2`);
    await sleep(300);
    assert.deepEqual(page.errors, []);
    assert.equal(await page.count('.player-error'), 0);
  });

  test('playback crosses a discontinuity, and seeks land on either side of it', async () => {
    const { hls } = replays.discontinuity;
    const page = await open(browser, 'discontinuity');
    // Across it in playback: from a second before to two after.
    await seekAndPlay(page, hls.discontinuityAt - 1);
    await page.waitVideo(`v.currentTime > ${hls.discontinuityAt + 2}`, 15000);
    // A seek into the second half, and back into the first.
    await seekAndPlay(page, hls.discontinuityAt + 5);
    await seekAndPlay(page, hls.discontinuityAt - 6);
    assert.deepEqual(page.errors, []);
    assert.equal(await page.count('.player-error'), 0);
  });

  test('timestamps that wrap past 2^33 play on, on one timeline', async () => {
    const { hls } = replays.wrap;
    const page = await open(browser, 'wrap');
    const duration = await page.video('v.duration');
    assert.ok(Math.abs(duration - hls.duration) < 1, `duration ${duration}`);
    await seekAndPlay(page, Math.max(0, hls.wrapsAt - 1.5));
    await page.waitVideo(`v.currentTime > ${hls.wrapsAt + 2}`, 15000);
    await seekAndPlay(page, hls.duration * 0.75);
    assert.deepEqual(page.errors, []);
  });

  test('fMP4 segments (EXT-X-MAP) pass through: they play, and seek', async () => {
    const page = await open(browser, 'fmp4');
    await page.video('v.play()');
    await page.waitVideo('v.currentTime > 1');
    assert.ok((await page.video('v.src')).startsWith('blob:'), 'played through MSE');
    await seekAndPlay(page, replays.fmp4.hls.duration * 0.75);
    assert.ok(page.segments.some((s) => s.startsWith('HLS segment 3:')), page.segments.join('\n'));
    assert.deepEqual(page.errors, []);
    assert.equal(await page.count('.player-error'), 0);
  });

  test('a 3-hour playlist spans its seek bar, seeks deep in, and holds about a minute and a half', async () => {
    const page = await open(browser, 'long');
    assert.ok(Math.abs((await page.video('v.duration')) - 3 * 3600) < 1);
    await seekAndPlay(page, 2 * 3600 + 1234);
    // Buffered: at most what is kept behind (20 s) and ahead (60 s), plus a segment.
    await sleep(3000);
    const held = await page.video('(() => { let s = 0; for (let i = 0; i < v.buffered.length; i++) s += v.buffered.end(i) - v.buffered.start(i); return s; })()');
    assert.ok(held > 5 && held < 90, `buffered ${held} s`);
    assert.deepEqual(page.errors, []);
  });

  test('a corrupt segment shows an error message, not a hang', async () => {
    const page = await open(browser, 'corrupt');
    await page.video('v.play()');
    await page.waitSelector('.player-error', 20000);
    assert.match(await page.text('.player-error'), /damaged|decoded/);
    assert.ok(await page.count({ role: 'button', name: 'Retry' }), 'Retry offered');
  });

  test('a segment answering 404 is fetched again, then the error shows with Retry', async () => {
    const page = await open(browser, 'missing');
    const warnings = [];
    page.onConsole((type, text) => { if (type === 'warn') warnings.push(text); });
    await page.video('v.play()');
    await page.waitSelector('.player-error', 20000);
    assert.match(await page.text('.player-error'), /can't be found/);
    assert.ok(warnings.filter((w) => w.startsWith('HLS segment 1 failed')).length >= 1, warnings.join('\n'));
    // Before it, the first segment played.
    assert.ok((await page.video('v.currentTime')) > 0);
  });
});
