// The player on real H.264/AAC files served by the real server: playback, keyboard,
// deep links, resume, share, embed across origins, errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer } from '../lib/server.mjs';
import { launch, newPage, waitFor, waitVideo } from '../lib/browser.mjs';
import { testMp4, publish } from '../lib/media.mjs';

let server, browser, ids;
const now = Math.floor(Date.now() / 1000);

async function replayIds(streamer) {
  const page = await (await fetch(`${server.base}/api/v1/streamers/${streamer}/replays`)).json();
  return page.items.map((r) => r.id);
}

before(async () => {
  server = await startServer();
  browser = await launch();
  const url = publish(server, testMp4(60), 'clock.mp4');
  await server.tencentRecording({ streamId: 'mei', fileId: 'older', start: now - 7200, duration: 60, url });
  await server.tencentRecording({ streamId: 'mei', fileId: 'newer', start: now - 3600, duration: 60, url });
  await server.tencentRecording({ streamId: 'broken', fileId: 'gone', start: now - 600, duration: 60, url: `${server.base}/media/test/missing.mp4` });
  ids = await replayIds('mei'); // newest first
});
after(async () => { await browser?.close(); await server?.stop(); });

const video = (page, expr) => page.evaluate(`(() => { const v = document.querySelector('.player video'); return ${expr}; })()`);

test('an MP4 replay plays, and the play button follows state', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/mei/replays/${ids[0]}`);
  await waitVideo(page, 'v.readyState >= 1');
  await video(page, 'v.play()');
  await waitVideo(page, 'v.currentTime > 1');
  assert.equal(await video(page, 'v.error'), null);
  assert.equal(await page.locator('.player-error').count(), 0);
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  // Controls hide a moment into playback and come back when the pointer moves.
  await page.mouse.move(200, 200);
  await page.locator('.player.controls-hidden').waitFor({ timeout: 6000 });
  await page.mouse.move(220, 210);
  await page.locator('.player:not(.controls-hidden)').waitFor();
  assert.deepEqual(page.errors, []);
});

test('keyboard shortcuts seek, and the seek slider announces its value', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/mei/replays/${ids[0]}`);
  await waitVideo(page, 'v.readyState >= 1 && v.duration > 59');
  await video(page, 'v.pause()');
  await page.locator('.player').focus();
  await page.keyboard.press('5');
  await waitVideo(page, 'Math.abs(v.currentTime - 30) < 0.5');
  await page.keyboard.press('ArrowRight');
  await waitVideo(page, 'Math.abs(v.currentTime - 35) < 0.5');
  await page.keyboard.press('j');
  await waitVideo(page, 'Math.abs(v.currentTime - 25) < 0.5');
  await page.keyboard.press('l');
  await waitVideo(page, 'Math.abs(v.currentTime - 35) < 0.5');
  const slider = page.getByRole('slider', { name: 'Seek' });
  assert.equal(await slider.getAttribute('aria-valuetext'), '0:35 of 1:00');
  await page.keyboard.press('m');
  await waitVideo(page, 'v.muted');
  await page.getByRole('button', { name: 'Unmute' }).waitFor();
  await page.keyboard.press('k');
  await waitVideo(page, '!v.paused');
});

test('?t= deep links start there', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/mei/replays/${ids[0]}?t=30`);
  await waitVideo(page, 'v.readyState >= 1 && v.currentTime >= 29.9');
  assert.ok(Math.abs((await video(page, 'v.currentTime')) - 30) < 1.5);
  await page.goto(`${server.base}/u/mei/replays/${ids[1]}?t=0m45s`);
  await waitVideo(page, 'v.readyState >= 1 && v.currentTime >= 44.9');
});

test('the position is remembered and offered after a reload', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/mei/replays/${ids[1]}`);
  await waitVideo(page, 'v.readyState >= 1 && v.duration > 59');
  await video(page, 'v.pause()');
  await page.locator('.player').focus();
  await page.keyboard.press('4'); // 24 s
  await waitVideo(page, 'Math.abs(v.currentTime - 24) < 0.5');
  await waitFor(page, "Object.keys(localStorage).some((k) => k.startsWith('relive:pos:'))");
  await page.reload();
  const resume = page.getByRole('button', { name: /^Resume from 0:2[34]$/ });
  await resume.waitFor();
  await resume.click();
  await waitVideo(page, 'v.currentTime >= 23.5');
  assert.equal(await resume.count(), 0);
});

test('share copies a link at the current time; embed shows the iframe code', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
  await page.goto(`${server.base}/u/mei/replays/${ids[0]}?t=12`);
  // The start seek done (not only asked for) and a frame there.
  await waitVideo(page, 'v.readyState >= 2 && !v.seeking && v.currentTime >= 11.9');
  await video(page, 'v.pause()');
  // It may have played on a little before the pause (a busy machine): the link says where it stopped.
  const state = await video(page, '({ t: v.currentTime, error: v.error && v.error.message, ready: v.readyState, src: v.currentSrc })');
  const at = Math.floor(state.t);
  assert.ok(at >= 11 && at <= 14, `paused at ${at} s, after starting at 12: ${JSON.stringify(state)}`);
  await page.getByRole('button', { name: 'Share at current time' }).click();
  await page.locator('.player-toast', { hasText: 'Link copied' }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, `${server.base}/u/mei/replays/${ids[0]}?t=${at}`);

  await page.getByRole('button', { name: 'Embed' }).click();
  const code = await page.getByRole('dialog').locator('textarea').inputValue();
  assert.match(code, new RegExp(`^<iframe src="${server.base}/embed/replays/${ids[0]}" width="640" height="360" title="`));
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('dialog').count(), 0);
});

test('the embed page plays inside an iframe on another origin', async () => {
  const host = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>host</title><iframe src="${server.base}/embed/replays/${ids[0]}" width="480" height="270" title="replay" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  try {
    const page = await newPage(browser, { locale: 'en-US' });
    // localhost vs 127.0.0.1 and another port: a different origin.
    await page.goto(`http://localhost:${host.address().port}/`);
    const frame = page.frameLocator('iframe');
    await frame.getByRole('button', { name: 'Play' }).first().click();
    const f = page.frames().find((x) => x.url().includes('/embed/replays/'));
    await waitVideo(f, 'v.currentTime > 1');
    assert.equal(await frame.locator('.site-header').count(), 0, 'no site chrome in embeds');
    const size = await f.evaluate(() => { const r = document.querySelector('.player').getBoundingClientRect(); return [r.width, r.height]; });
    assert.deepEqual(size, [480, 270], 'the player fills the frame');
  } finally {
    host.close();
  }
});

test('a missing file shows a clear error with retry', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  const [broken] = await replayIds('broken');
  await page.goto(`${server.base}/u/broken/replays/${broken}`);
  const error = page.locator('.player-error');
  await error.waitFor();
  assert.match(await error.innerText(), /missing or in a format your browser can't play/);
  await error.getByRole('button', { name: 'Retry' }).waitFor();
});

test('the next replay is offered at the end', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/mei/replays/${ids[0]}?t=58`);
  await waitVideo(page, 'v.readyState >= 1');
  await video(page, 'v.play()');
  const next = page.locator('.up-next');
  await next.waitFor({ timeout: 15000 });
  await next.getByRole('link', { name: 'Play next' }).click();
  await page.waitForURL(`**/u/mei/replays/${ids[1]}`);
  await page.locator('.replay-card.current').waitFor();
});
