// The embed on another origin, driven by its host page through `relive-embed.js` and
// the postMessage protocol (README "Embedding"): commands, events and their times, what
// is ignored (malformed messages, other windows), and the embed's parameters (start/end,
// autoplay+muted, controls=0, lang, title=0). Each test runs in every engine.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { serverWithOneMp4 } from '../lib/server.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';

let server, host, hostBase, id;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ({ server, id } = await serverWithOneMp4());
  // The host: another origin (localhost, another port). `/` frames the embed with the
  // host page's own query as the embed's parameters, loads the helper from the Relive
  // server and records every event; `/other` is a second frame of the host that posts
  // into the embed (a window that is not the embed's parent).
  host = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    res.writeHead(200, { 'content-type': 'text/html' });
    if (u.pathname === '/other') return res.end('<!doctype html><title>other</title><p>other frame</p>');
    res.end(`<!doctype html><title>host</title>
<iframe id="relive" src="${server.base}/embed/replays/${id}${u.search}" width="480" height="270" title="replay"
  allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>
<iframe id="other" src="/other" width="100" height="50" title="other"></iframe>
<script src="${server.base}/relive-embed.js"></script>
<script>
  window.events = [];
  window.p = ReliveEmbed.player(document.getElementById('relive'));
  for (const name of ['ready', 'play', 'pause', 'timeupdate', 'ended', 'error', 'resize'])
    p.on(name, (value) => events.push({ name, value, at: performance.now() }));
</script>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  hostBase = `http://localhost:${host.address().port}`;
});
after(async () => { host?.close(); await server?.stop(); });

const events = (page, name) => page.evaluate((n) => window.events.filter((e) => e.name === n), name);
const state = (page) => page.evaluate(() => window.p.getState());

for (const engine of ENGINES) describe(`embed API (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('the helper is served, small, and typed', async () => {
    const r = await fetch(`${server.base}/relive-embed.js`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /javascript/);
    const body = await r.text();
    assert.ok(body.length < 3072, `relive-embed.js is ${body.length} bytes`);
    assert.match(body, /@typedef/);
  });

  test('commands drive the player; events come back with consistent times', async () => {
    const page = await browser.newPage();
    await page.goto(`${hostBase}/`);
    await page.evaluate(() => window.p.ready);
    const [ready] = await events(page, 'ready');
    assert.ok(ready, 'ready was sent');
    assert.ok(Math.abs(ready.value.duration - 60) < 1, `ready carries the duration: ${JSON.stringify(ready.value)}`);
    assert.equal(ready.value.paused, true);
    assert.ok((await events(page, 'resize')).some((e) => e.value.width === 480 && e.value.height === 270), 'resize: the frame size');

    const before = await state(page);
    assert.equal(before.paused, true);
    assert.ok(before.currentTime < 0.5);

    // Malformed messages, straight from the parent: all ignored, no error.
    await page.evaluate(() => {
      const w = document.getElementById('relive').contentWindow;
      for (const m of ['play', null, 42, [1, 'command', 'play'], {}, { relive: 2, type: 'command', name: 'play' },
        { relive: '1', type: 'command', name: 'play' }, { relive: 1, type: 'event', name: 'play' },
        { relive: 1, type: 'command', name: 'explode' }, { relive: 1, type: 'command', name: 'seek', value: '30' },
        { relive: 1, type: 'command', name: 'seek', value: -5 }, { relive: 1, type: 'command', name: 'setVolume', value: 7 },
        { relive: 1, type: 'command', name: 'setMuted', value: 'yes' }, { relive: 1, type: 'command', name: 'play', id: 'x' }])
        w.postMessage(m, '*');
    });
    // Well-formed commands from a window that is not the parent: ignored too.
    const other = await page.frame('/other');
    await other.evaluate(() => {
      const embed = parent.frames[0];
      embed.postMessage({ relive: 1, type: 'command', name: 'seek', value: 40 }, '*');
      embed.postMessage({ relive: 1, type: 'command', name: 'setMuted', value: true }, '*');
      embed.postMessage({ relive: 1, type: 'command', name: 'play' }, '*');
    });
    await sleep(1000);
    const still = await state(page);
    assert.equal(still.paused, true, 'nothing played');
    assert.ok(still.currentTime < 0.5, `nothing sought: ${still.currentTime}`);
    assert.equal(still.muted, false, 'nothing muted');
    assert.deepEqual(await events(page, 'play'), []);
    assert.deepEqual(await events(page, 'error'), []);
    const frame = await page.frame('/embed/replays/');
    assert.equal(await frame.video('v.paused'), true);

    // play, seek to 30 s, play on a while, pause.
    await page.evaluate(() => window.p.play());
    await page.waitFor("window.events.some((e) => e.name === 'play')");
    await page.evaluate(() => window.p.seek(30));
    await page.waitFor("window.events.some((e) => e.name === 'timeupdate' && e.value.currentTime >= 30)");
    const seekedAt = await page.evaluate(() => performance.now());
    await page.waitFor("window.events.some((e) => e.name === 'timeupdate' && e.value.currentTime >= 32.5)");
    await page.evaluate(() => window.p.pause());
    await page.waitFor("window.events.some((e) => e.name === 'pause')");
    const [pause] = await events(page, 'pause');
    assert.ok(pause.value.currentTime >= 30, `pause at ${pause.value.currentTime}`);
    assert.equal(pause.value.paused, true);

    const after = (await events(page, 'timeupdate')).filter((e) => e.at >= seekedAt);
    const times = after.map((e) => e.value.currentTime);
    assert.ok(times.length >= 4, `timeupdates after the seek: ${times}`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `times increase: ${times}`);
    assert.ok(times[0] >= 29.5 && times[0] < 31.5, `near 30 after the seek: ${times}`);
    assert.ok(times.at(-1) <= pause.value.currentTime + 0.01, 'the pause is after the last timeupdate');
    // At most four a second (a little slack for the delivery of messages).
    const all = await events(page, 'timeupdate');
    const span = (all.at(-1).at - all[0].at) / 1000;
    assert.ok(all.length <= 4 * span + 2, `${all.length} timeupdates in ${span.toFixed(2)} s`);

    const s = await state(page);
    assert.equal(s.paused, true);
    assert.ok(Math.abs(s.currentTime - pause.value.currentTime) < 0.3, `state ${s.currentTime} vs pause ${pause.value.currentTime}`);
    assert.ok(Math.abs(s.currentTime - (await frame.video('v.currentTime'))) < 0.3);

    // Volume, muted, speed.
    await page.evaluate(() => { window.p.setVolume(0.25); window.p.setMuted(true); window.p.setPlaybackRate(1.5); });
    await page.waitFor('window.p.getState().then((s) => s.muted && s.volume === 0.25 && s.playbackRate === 1.5)');
    assert.equal(await frame.video('v.muted'), true);
    assert.deepEqual(await events(page, 'error'), []);
    assert.deepEqual(page.errors, []);
  });

  test('start=20&end=25 starts at 20 s and stops at 25 s', async () => {
    const page = await browser.newPage();
    await page.goto(`${hostBase}/?start=20&end=25`);
    await page.evaluate(() => window.p.ready);
    const frame = await page.frame('/embed/replays/');
    await frame.waitVideo('v.readyState >= 1 && Math.abs(v.currentTime - 20) < 0.5');
    await page.evaluate(() => window.p.play());
    await page.waitFor("window.events.some((e) => e.name === 'pause')", 20000);
    const s = await state(page);
    assert.equal(s.paused, true);
    assert.ok(Math.abs(s.currentTime - 25) < 0.3, `stopped at ${s.currentTime}`);
    assert.equal(await frame.video('v.paused'), true);
    assert.ok(Math.abs((await frame.video('v.currentTime')) - 25) < 0.3);
    const [play] = await events(page, 'play');
    assert.ok(play.value.currentTime >= 19.5 && play.value.currentTime < 21, `played from ${play.value.currentTime}`);
    assert.deepEqual(page.errors, []);
  });

  test('autoplay=1&muted=1 plays without a click', async () => {
    const page = await browser.newPage();
    await page.goto(`${hostBase}/?autoplay=1&muted=1`);
    const frame = await page.frame('/embed/replays/');
    await frame.waitVideo('!v.paused && v.muted && v.currentTime > 0.5');
    await page.waitFor("window.events.some((e) => e.name === 'play' && e.value.muted)");
  });

  test('controls=0 shows no controls; the API still plays', async () => {
    const page = await browser.newPage();
    await page.goto(`${hostBase}/?controls=0`);
    await page.evaluate(() => window.p.ready);
    const frame = await page.frame('/embed/replays/');
    await frame.waitSelector('.player');
    assert.equal(await frame.count('.player-controls'), 0);
    assert.equal(await frame.count('.big-play'), 0);
    assert.equal(await frame.count('.player-topbar'), 1, 'the title stays');
    await page.evaluate(() => window.p.play());
    await frame.waitVideo('!v.paused && v.currentTime > 0.5');
  });

  test('lang=zh-CN speaks Chinese; title=0 hides the title', async () => {
    const page = await browser.newPage();
    await page.goto(`${hostBase}/?lang=zh-CN&title=0`);
    const frame = await page.frame('/embed/replays/');
    await frame.waitSelector('.player-controls');
    assert.equal(await frame.count('.player-topbar'), 0);
    await frame.waitSelector({ role: 'button', name: '播放', within: '.player-controls' });
    assert.equal(await frame.evaluate(() => document.documentElement.lang), 'zh-CN');
    // The default: English (the browser's), with the title.
    await page.goto(`${hostBase}/?lang=xx&title=maybe`);
    const again = await page.frame('/embed/replays/');
    await again.waitSelector('.player-topbar');
    await again.waitSelector({ role: 'button', name: 'Play', within: '.player-controls' });
    assert.deepEqual(page.errors, []);
  });
});
