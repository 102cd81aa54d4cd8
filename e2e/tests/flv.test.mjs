// FLV replays in Chromium: remuxed to fMP4 in WebAssembly and played through MSE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { launch, newPage, waitFor, waitVideo } from '../lib/browser.mjs';
import { testFlv, publish } from '../lib/media.mjs';

let server, browser;
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
after(async () => { await browser?.close(); await server?.stop(); });


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
