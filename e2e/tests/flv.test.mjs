// FLV replays: remuxed to fMP4 in WebAssembly and played through MSE. Each test runs in
// every engine.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { ENGINES, launch, sleep } from '../lib/browser.mjs';
import { testFlv, testFlvIndexed, testFlvAudio, publish } from '../lib/media.mjs';

let server;
const ids = {};
const DURATION = { plain: 180, indexed: 180, audio: 600, corrupt: 180 };
const now = Math.floor(Date.now() / 1000);

async function firstId(streamer) {
  return (await (await fetch(`${server.base}/api/v1/streamers/${streamer}/replays`)).json()).items[0].id;
}

before(async () => {
  server = await startServer();
  // Three minutes: more than the player buffers ahead (60 s), so seeks go over the network.
  const flv = testFlv(180);
  const bytes = readFileSync(flv);
  const corrupt = Buffer.from(bytes);
  // Garbage over a stretch a tenth of the way in: tag headers break there.
  corrupt.fill(0x5a, Math.floor(bytes.length / 10), Math.floor(bytes.length / 10) + 4096);
  const dir = join(server.dir, 'media', 'test');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'corrupt.flv'), corrupt);
  const files = {
    plain: [flv, publish(server, flv, 'plain.flv')],
    indexed: [testFlvIndexed(180), publish(server, testFlvIndexed(180), 'indexed.flv')],
    // Ten minutes: audio is small, and the player must not have it all before a seek.
    audio: [testFlvAudio(600), publish(server, testFlvAudio(600), 'audio.flv')],
    corrupt: [flv, `${server.base}/media/test/corrupt.flv`],
  };
  for (const [name, [file, url]] of Object.entries(files)) {
    await server.tencentRecording({ streamId: `flv-${name}`, fileId: name, start: now - 3600, duration: DURATION[name], url, format: 'flv', size: readFileSync(file).length });
    ids[name] = await firstId(`flv-${name}`);
  }
});
after(async () => { await server?.stop(); });

for (const engine of ENGINES) describe(`FLV (${engine})`, () => {
  let browser, flaky;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); flaky?.close(); });

  const kinds = { plain: 'an FLV', indexed: 'an FLV with a keyframe index', audio: 'an audio-only FLV' };
  for (const [name, what] of Object.entries(kinds)) {
    test(`${what} plays through MSE`, async () => {
      const page = await browser.newPage();
      await page.goto(`${server.base}/u/flv-${name}/replays/${ids[name]}`);
      await page.waitVideo('v.readyState >= 1');
      await page.video('v.play()');
      await page.waitVideo('v.currentTime > 1');
      assert.ok((await page.video('v.src')).startsWith('blob:'), 'played through MSE');
      assert.equal(await page.count('.player-error'), 0);
      assert.deepEqual(page.errors, []);
    });
  }

  const seekKinds = { plain: 'an FLV without a keyframe index', indexed: 'an FLV with a keyframe index', audio: 'an audio-only FLV' };
  for (const [name, what] of Object.entries(seekKinds)) {
    test(`seeking to 75% of ${what} plays from there`, async () => {
      const duration = DURATION[name];
      const page = await browser.newPage();
      const downloads = [];
      page.onConsole((_type, text) => { if (text.startsWith('FLV download')) downloads.push(text); });
      await page.goto(`${server.base}/u/flv-${name}/replays/${ids[name]}`);
      // The seek bar spans the whole file once the server's index is in.
      await page.waitVideo(`v.readyState >= 1 && Math.abs(v.duration - ${duration}) < 1`);
      await page.video('v.play()');
      await page.waitVideo('v.currentTime > 0.5');
      await page.focus('.player');
      await page.press('k');
      await page.press('7'); // 70 %
      // +10 s each: to 75 % and a little past (180 s: 136 s, 75.6 %; 600 s: 450 s).
      const steps = Math.ceil((duration * 0.05) / 10);
      for (let i = 0; i < steps; i++) await page.press('l');
      const target = duration * 0.7 + steps * 10;
      await page.waitVideo(`Math.abs(v.currentTime - ${target}) < 0.5`);
      await page.press('k');
      await page.waitVideo(`v.currentTime > ${target} + 1 && !v.paused`);
      const t = await page.video('v.currentTime');
      assert.ok(Math.abs(t - target) < 3, `playing from ${t}`);
      // It played from the new place: media around the target is buffered.
      const ok = await page.evaluate((x) => {
        const b = document.querySelector('.player video').buffered;
        for (let i = 0; i < b.length; i++) if (b.start(i) <= x && x < b.end(i)) return true;
        return false;
      }, target + 0.5);
      assert.ok(ok, 'buffered at the target');
      // The player holds at most a minute ahead (plus what one read brings), so this
      // far in is a new download from the keyframe before the target.
      assert.ok(downloads.some((d) => /from byte [1-9]\d*: HTTP 206/.test(d)), `a range request: ${downloads}`);
      // Seeking aborts the old download: nothing of that may surface as a page error.
      await page.press('3');
      await page.waitVideo(`Math.abs(v.currentTime - ${duration * 0.3}) < 3 && !v.seeking`);
      await page.press('8');
      await page.waitVideo(`Math.abs(v.currentTime - ${duration * 0.8}) < 3 && !v.seeking`);
      await sleep(500);
      assert.deepEqual(page.errors, []);
      assert.equal(await page.count('.player-error'), 0);
    });
  }

  test('a corrupt FLV shows an error message', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/flv-corrupt/replays/${ids.corrupt}`);
    await page.waitSelector('.player-error', 20000);
    assert.match(await page.text('.player-error'), /damaged/);
  });

  test('a download that breaks off continues from the last keyframe by itself', async () => {
    // A CDN that drops the browser's first connection a fifth of the way in (the server's
    // own fetch, for the keyframe index, gets the whole file), and serves ranges after.
    // It drops it half a second after sending that fifth: Chromium 156.0.8078.108 errors a
    // body stream dropped within ~50 ms before the page has remuxed any of it, and a break
    // before anything is remuxed is shown as an error (there is no keyframe to go back to).
    const bytes = readFileSync(testFlv(180));
    const cutAt = Math.floor(bytes.length / 5);
    const requests = [];
    flaky = createServer((req, res) => {
      const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'range' };
      if (req.method === 'OPTIONS') { res.writeHead(204, cors); return res.end(); }
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const browserFirst = req.headers.origin && !range && !requests.some((r) => r.origin && !r.range);
      requests.push({ origin: req.headers.origin, range: req.headers.range });
      if (range) {
        const from = Number(range[1]);
        res.writeHead(206, { ...cors, 'content-type': 'video/x-flv', 'content-length': bytes.length - from, 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` });
        return res.end(bytes.subarray(from));
      }
      res.writeHead(200, { ...cors, 'content-type': 'video/x-flv', 'content-length': bytes.length });
      if (!browserFirst) return res.end(bytes);
      res.write(bytes.subarray(0, cutAt), () => setTimeout(() => res.destroy(), 500));
    });
    await new Promise((r) => flaky.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${flaky.address().port}/cdn/flaky.flv`;
    // One recording per engine: each gets a fresh CDN whose first browser connection breaks.
    const streamer = `flv-flaky-${engine}`;
    await server.tencentRecording({ streamId: streamer, fileId: `flaky-${engine}`, start: now - 600, duration: 180, url, format: 'flv', size: bytes.length });
    const id = await firstId(streamer);
    // The server streams the file once for its index: wait for it, as the player needs it.
    for (let i = 0; (await fetch(`${server.base}/api/v1/replays/${id}/keyframes`)).status !== 200; i++) {
      assert.ok(i < 200, 'the keyframe index is built');
      await sleep(50);
    }

    const page = await browser.newPage();
    const warnings = [];
    page.onConsole((_type, text) => { if (text.startsWith('FLV download broke')) warnings.push(text); });
    await page.goto(`${server.base}/u/${streamer}/replays/${id}`);
    // A fifth of 180 s is 36 s: buffered well past it means the download went on.
    await page.waitVideo('v.buffered.length > 0 && v.buffered.end(v.buffered.length - 1) > 50', 20000);
    assert.equal(await page.count('.player-error'), 0, 'no error shown');
    assert.ok(warnings.length >= 1, 'the break was noticed');
    const resumed = requests.filter((r) => r.origin && r.range);
    assert.ok(resumed.length >= 1 && Number(/\d+/.exec(resumed[0].range)[0]) > 0, `continued by a range request: ${JSON.stringify(requests)}`);
    assert.ok(Number(/\d+/.exec(resumed[0].range)[0]) <= cutAt, 'from a keyframe before the break');
    // Chromium logs the dropped connection itself (net::ERR_…; Firefox logs nothing); nothing else may show up.
    assert.deepEqual(page.errors.filter((e) => !/net::ERR_/.test(e)), []);
  });
});
