// The player on real H.264/AAC files served by the real server: playback, keyboard,
// deep links, resume, share, embed across origins, errors. Each test runs in every engine.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer } from '../lib/server.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';
import { testMp4, testAac, publish } from '../lib/media.mjs';

let server, ids, aacId;
const now = Math.floor(Date.now() / 1000);

async function replayIds(streamer) {
  const page = await (await fetch(`${server.base}/api/v1/streamers/${streamer}/replays`)).json();
  return page.items.map((r) => r.id);
}

before(async () => {
  server = await startServer();
  const url = publish(server, testMp4(60), 'clock.mp4');
  await server.tencentRecording({ streamId: 'mei', fileId: 'older', start: now - 7200, duration: 60, url });
  await server.tencentRecording({ streamId: 'mei', fileId: 'newer', start: now - 3600, duration: 60, url });
  await server.tencentRecording({ streamId: 'broken', fileId: 'gone', start: now - 600, duration: 60, url: `${server.base}/media/test/missing.mp4` });
  const aac = publish(server, testAac(60), 'tone.aac');
  await server.tencentRecording({ streamId: 'radio', fileId: 'tone', start: now - 600, duration: 60, url: aac, format: 'aac' });
  ids = await replayIds('mei'); // newest first
  [aacId] = await replayIds('radio');
});
after(async () => { await server?.stop(); });

for (const engine of ENGINES) describe(`player (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('an MP4 replay plays, and the play button follows state', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${ids[0]}`);
    await page.waitVideo('v.readyState >= 1');
    await page.video('v.play()');
    await page.waitVideo('v.currentTime > 1');
    assert.equal(await page.video('v.error'), null);
    assert.ok(!(await page.video('v.src')).startsWith('blob:'), 'plays the file through src');
    assert.equal(await page.count('.player-error'), 0);
    await page.waitSelector({ role: 'button', name: 'Pause' });
    // Controls hide a moment into playback and come back when the pointer moves.
    await page.mouseMove(200, 200);
    await page.waitSelector('.player.controls-hidden', 6000);
    await page.mouseMove(220, 210);
    await page.waitSelector('.player:not(.controls-hidden)');
    assert.deepEqual(page.errors, []);
  });

  test('an audio-only (AAC) replay plays', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/radio/replays/${aacId}`);
    await page.waitVideo('v.readyState >= 1 && Math.abs(v.duration - 60) < 1');
    await page.video('v.play()');
    await page.waitVideo('v.currentTime > 1');
    assert.equal(await page.video('v.error'), null);
    assert.equal(await page.count('.player-error'), 0);
    await page.focus('.player');
    await page.press('7'); // 70 %: 42 s
    await page.waitVideo('v.currentTime > 42.5 && !v.paused');
    assert.deepEqual(page.errors, []);
  });

  test('keyboard shortcuts seek, and the seek slider announces its value', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${ids[0]}`);
    await page.waitVideo('v.readyState >= 1 && v.duration > 59');
    await page.video('v.pause()');
    await page.focus('.player');
    await page.press('5');
    await page.waitVideo('Math.abs(v.currentTime - 30) < 0.5');
    await page.press('ArrowRight');
    await page.waitVideo('Math.abs(v.currentTime - 35) < 0.5');
    await page.press('j');
    await page.waitVideo('Math.abs(v.currentTime - 25) < 0.5');
    await page.press('l');
    await page.waitVideo('Math.abs(v.currentTime - 35) < 0.5');
    assert.equal(await page.attr({ role: 'slider', name: 'Seek' }, 'aria-valuetext'), '0:35 of 1:00');
    await page.press('m');
    await page.waitVideo('v.muted');
    await page.waitSelector({ role: 'button', name: 'Unmute' });
    await page.press('k');
    await page.waitVideo('!v.paused');
    assert.deepEqual(page.errors, []);
  });

  test('?t= deep links start there', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${ids[0]}?t=30`);
    await page.waitVideo('v.readyState >= 1 && v.currentTime >= 29.9');
    assert.ok(Math.abs((await page.video('v.currentTime')) - 30) < 1.5);
    await page.goto(`${server.base}/u/mei/replays/${ids[1]}?t=0m45s`);
    await page.waitVideo('v.readyState >= 1 && v.currentTime >= 44.9');
  });

  test('the position is remembered and offered after a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${ids[1]}`);
    await page.waitVideo('v.readyState >= 1 && v.duration > 59');
    await page.video('v.pause()');
    await page.focus('.player');
    await page.press('4'); // 24 s
    await page.waitVideo('Math.abs(v.currentTime - 24) < 0.5');
    await page.waitFor("Object.keys(localStorage).some((k) => k.startsWith('relive:pos:'))");
    await page.reload();
    const resume = { role: 'button', name: /^Resume from 0:2[34]$/ };
    await page.click(resume);
    await page.waitVideo('v.currentTime >= 23.5');
    assert.equal(await page.count(resume), 0);
  });

  test('share copies a link at the current time; embed shows the iframe code', async () => {
    const page = await browser.newPage();
    await page.allowClipboard(server.base);
    await page.goto(`${server.base}/u/mei/replays/${ids[0]}?t=12`);
    // The start seek done (not only asked for) and a frame there.
    await page.waitVideo('v.readyState >= 2 && !v.seeking && v.currentTime >= 11.9');
    await page.video('v.pause()');
    // It may have played on a little before the pause (a busy machine): the link says where it stopped.
    const state = await page.video('({ t: v.currentTime, error: v.error && v.error.message, ready: v.readyState, src: v.currentSrc })');
    const at = Math.floor(state.t);
    assert.ok(at >= 11 && at <= 14, `paused at ${at} s, after starting at 12: ${JSON.stringify(state)}`);
    await page.click({ role: 'button', name: 'Share at current time' });
    await page.waitSelector({ css: '.player-toast', text: 'Link copied' });
    assert.equal(await page.readClipboard(), `${server.base}/u/mei/replays/${ids[0]}?t=${at}`);

    await page.click({ role: 'button', name: 'Embed' });
    const code = await page.value({ css: 'textarea', within: { role: 'dialog' } });
    assert.match(code, new RegExp(`^<iframe src="${server.base}/embed/replays/${ids[0]}" width="640" height="360" title="`));
    await page.press('Escape');
    assert.equal(await page.count({ role: 'dialog' }), 0);
  });

  test('the embed page plays inside an iframe on another origin', async () => {
    const host = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>host</title><iframe src="${server.base}/embed/replays/${ids[0]}" width="480" height="270" title="replay" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`);
    });
    await new Promise((r) => host.listen(0, '127.0.0.1', r));
    try {
      const page = await browser.newPage();
      // localhost vs 127.0.0.1 and another port: a different origin.
      await page.goto(`http://localhost:${host.address().port}/`);
      const frame = await page.frame('/embed/replays/');
      await frame.click({ role: 'button', name: 'Play' });
      await frame.waitVideo('v.currentTime > 1');
      assert.equal(await frame.count('.site-header'), 0, 'no site chrome in embeds');
      const size = await frame.evaluate(() => { const r = document.querySelector('.player').getBoundingClientRect(); return [r.width, r.height]; });
      assert.deepEqual(size, [480, 270], 'the player fills the frame');
    } finally {
      host.close();
    }
  });

  test('a missing file shows a clear error with retry', async () => {
    const page = await browser.newPage();
    const [broken] = await replayIds('broken');
    await page.goto(`${server.base}/u/broken/replays/${broken}`);
    await page.waitSelector('.player-error');
    assert.match(await page.text('.player-error'), /missing or in a format your browser can't play/);
    await page.waitSelector({ role: 'button', name: 'Retry', within: '.player-error' });
  });

  test('the next replay is offered at the end', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${ids[0]}?t=58`);
    await page.waitVideo('v.readyState >= 1');
    await page.video('v.play()');
    await page.click({ role: 'link', name: 'Play next', within: '.up-next' }, 15000);
    await page.waitURL((u) => u.endsWith(`/u/mei/replays/${ids[1]}`));
    await page.waitSelector('.replay-card.current');
  });
});
