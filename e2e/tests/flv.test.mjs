// FLV replays in Chromium: remuxed to fMP4 in WebAssembly and played through MSE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { launch, newPage, waitFor, waitVideo } from '../lib/browser.mjs';
import { testFlv, publish } from '../lib/media.mjs';

let server, browser, flaky;
const ids = {};
const now = Math.floor(Date.now() / 1000);

before(async () => {
  server = await startServer();
  browser = await launch();
  // Three minutes: more than the player buffers ahead (60 s), so seeks go over the network.
  const flv = testFlv(180);
  const bytes = readFileSync(flv);
  const corrupt = Buffer.from(bytes);
  // Garbage over a stretch a tenth of the way in: tag headers break there.
  corrupt.fill(0x5a, Math.floor(bytes.length / 10), Math.floor(bytes.length / 10) + 4096);
  const dir = join(server.dir, 'media', 'test');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'corrupt.flv'), corrupt);
  const files = { plain: publish(server, flv, 'plain.flv'), corrupt: `${server.base}/media/test/corrupt.flv` };
  for (const [name, url] of Object.entries(files)) {
    await server.tencentRecording({ streamId: `flv-${name}`, fileId: name, start: now - 3600, duration: 180, url, format: 'flv', size: bytes.length });
    const page = await (await fetch(`${server.base}/api/v1/streamers/flv-${name}/replays`)).json();
    ids[name] = page.items[0].id;
  }
});
after(async () => { await browser?.close(); await server?.stop(); flaky?.close(); });


test('an FLV replay plays', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/flv-plain/replays/${ids.plain}`);
  await waitVideo(page, 'v.readyState >= 1');
  await page.evaluate(() => document.querySelector('.player video').play());
  await waitVideo(page, 'v.currentTime > 1');
  assert.ok(await page.evaluate(() => document.querySelector('.player video').src.startsWith('blob:')), 'played through MSE');
  assert.equal(await page.locator('.player-error').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('seeking to 75% of an FLV without a keyframe index plays from there', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  const downloads = [];
  page.on('console', (m) => { if (m.text().startsWith('FLV download')) downloads.push(m.text()); });
  await page.goto(`${server.base}/u/flv-plain/replays/${ids.plain}`);
  // The seek bar spans the whole file once the server's index is in.
  await waitVideo(page, 'v.readyState >= 1 && Math.abs(v.duration - 180) < 1');
  await page.evaluate(() => document.querySelector('.player video').play());
  await waitVideo(page, 'v.currentTime > 0.5');
  await page.locator('.player').focus();
  await page.keyboard.press('k');
  await page.keyboard.press('7'); // 70 % = 126 s
  await page.keyboard.press('l'); // +10 s: 136 s, 75.6 %
  const target = 136;
  await waitVideo(page, `Math.abs(v.currentTime - ${target}) < 0.5`);
  await page.keyboard.press('k');
  await waitVideo(page, `v.currentTime > ${target} + 1 && !v.paused`);
  const t = await page.evaluate(() => document.querySelector('.player video').currentTime);
  assert.ok(Math.abs(t - target) < 3, `playing from ${t}`);
  // It played from the new place: media around the target is buffered.
  const ok = await page.evaluate((x) => {
    const b = document.querySelector('.player video').buffered;
    for (let i = 0; i < b.length; i++) if (b.start(i) <= x && x < b.end(i)) return true;
    return false;
  }, target + 0.5);
  assert.ok(ok, 'buffered at the target');
  assert.ok(downloads.some((d) => /from byte [1-9]\d*: HTTP 206/.test(d)), `a range request: ${downloads}`);
  // Seeking aborts the old download: nothing of that may surface as a page error.
  await page.keyboard.press('3');
  await waitVideo(page, 'Math.abs(v.currentTime - 54) < 3 && !v.seeking');
  await page.keyboard.press('8');
  await waitVideo(page, 'Math.abs(v.currentTime - 144) < 3 && !v.seeking');
  await page.waitForTimeout(500);
  assert.deepEqual(page.errors, []);
  assert.equal(await page.locator('.player-error').count(), 0);
});

test('a corrupt FLV shows an error message', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/flv-corrupt/replays/${ids.corrupt}`);
  const error = page.locator('.player-error');
  await error.waitFor({ timeout: 20000 });
  assert.match(await error.innerText(), /damaged/);
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
  await server.tencentRecording({ streamId: 'flv-flaky', fileId: 'flaky', start: now - 600, duration: 180, url, format: 'flv', size: bytes.length });
  const id = (await (await fetch(`${server.base}/api/v1/streamers/flv-flaky/replays`)).json()).items[0].id;
  // The server streams the file once for its index: wait for it, as the player needs it.
  for (let i = 0; (await fetch(`${server.base}/api/v1/replays/${id}/keyframes`)).status !== 200; i++) {
    assert.ok(i < 200, 'the keyframe index is built');
    await new Promise((r) => setTimeout(r, 50));
  }

  const page = await newPage(browser, { locale: 'en-US' });
  const warnings = [];
  page.on('console', (m) => { if (m.text().startsWith('FLV download broke')) warnings.push(m.text()); });
  await page.goto(`${server.base}/u/flv-flaky/replays/${id}`);
  // A fifth of 180 s is 36 s: buffered well past it means the download went on.
  await waitVideo(page, 'v.buffered.length > 0 && v.buffered.end(v.buffered.length - 1) > 50', 20000);
  assert.equal(await page.locator('.player-error').count(), 0, 'no error shown');
  assert.ok(warnings.length >= 1, 'the break was noticed');
  const resumed = requests.filter((r) => r.origin && r.range);
  assert.ok(resumed.length >= 1 && Number(/\d+/.exec(resumed[0].range)[0]) > 0, `continued by a range request: ${JSON.stringify(requests)}`);
  assert.ok(Number(/\d+/.exec(resumed[0].range)[0]) <= cutAt, 'from a keyframe before the break');
  // Chromium logs the dropped connection itself; nothing else may show up.
  assert.deepEqual(page.errors.filter((e) => !/net::ERR_/.test(e)), []);
});
