// A broadcast in a browser without Media Source Extensions (iPhones before iOS 17.1: no
// MediaSource, no ManagedMediaSource): the player plays its parts one after another
// through `src`, on one timeline (issue 13). MSE is taken away before the app loads; the
// parts are three 6-second MP4s of one Tencent session, each a solid colour.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';
import { testColours, publish, SAMPLE_COLOUR } from '../lib/media.mjs';

const NO_MSE = 'delete window.MediaSource; delete window.ManagedMediaSource;';
const COLOURS = ['red', 'lime', 'blue'];
let server, replay;

before(async () => {
  server = await startServer();
  const start = Math.floor(Date.now() / 1000) - 3600;
  const ext = JSON.stringify({ session_id: 'e2e-no-mse-session' });
  for (const [i, colour] of COLOURS.entries()) {
    const url = publish(server, testColours(`${colour}-6s-faststart.mp4`, [colour], 6, { faststart: true }), `nomse-${i + 1}.mp4`);
    await server.tencent({ event_type: 100, stream_id: 'nomse', channel_id: 'nomse', file_id: `nomse-${i + 1}`, file_format: 'mp4',
      start_time: start + 6 * i, end_time: start + 6 * (i + 1), duration: 6, file_size: 1, video_url: url, callback_ext: ext });
  }
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const r = await fetch(`${server.base}/api/v1/streamers/nomse/replays`);
    const items = r.status === 200 ? (await r.json()).items : [];
    if (items.length === 1 && items[0].parts.length === 3) { replay = items[0]; break; }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  assert.ok(replay, 'the three parts are one broadcast');
});
after(async () => { await server?.stop(); });

/** m:ss (or h:mm:ss) in seconds, and seconds as m:ss (under an hour), as the controls show them. */
const seconds = (text) => text.split(':').reduce((s, x) => s * 60 + Number(x), 0);
const clock = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, '0')}`;

for (const engine of ENGINES) describe(`without MSE, a broadcast plays part after part on one timeline (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  /** The page of the broadcast with MSE gone, `query` after its path. */
  async function open(query = '') {
    const page = await browser.newPage({ initScript: NO_MSE });
    await page.goto(`${server.base}/u/nomse/replays/${replay.id}${query}`);
    assert.equal(await page.evaluate('typeof MediaSource + " " + typeof ManagedMediaSource'), 'undefined undefined', 'no MSE in the page');
    return page;
  }
  /** Which part is in the element (1-based), by its URL. */
  const partInElement = (page) => page.video('Number((v.src.match(/nomse-(\\d)\\.mp4$/) || [])[1] || 0)');
  /** The time the controls show, in seconds. */
  const shown = async (page) => seconds(await page.text('.time-current'));
  /** Seeks with the seek bar, as a drag to `t` does. */
  const seekBar = (page, t) => page.evaluate(`(() => {
    const i = document.querySelector('.seek-input');
    i.value = ${t};
    i.dispatchEvent(new Event('input', { bubbles: true }));
    i.dispatchEvent(new Event('change', { bubbles: true }));
  })()`);

  test('the seek bar spans the parts, playback runs from part 1 into part 2, a seek lands in part 3 and the time shown is the broadcast\'s', async () => {
    const [, p2, p3] = replay.parts;
    const total = replay.parts.reduce((s, p) => s + p.duration_secs, 0);
    const page = await open();
    await page.waitVideo('v.readyState >= 1');
    assert.equal(await partInElement(page), 1, `the first part, through src: ${await page.video('v.src')}`);
    assert.ok(Math.abs(await page.evaluate('Number(document.querySelector(".seek-input").max)') - total) < 0.01, 'the seek bar spans the broadcast');
    assert.ok(Math.abs(total - 18) < 0.5, `18 s: ${total}`);
    assert.match(await page.text('.player .time'), /^0:00 \/ 0:1[78]$/, 'the total shown is the broadcast\'s, not the part\'s');
    assert.ok(await page.video('v.duration') < 7, 'the element holds one part');

    // Near the end of part 1, playing: on into part 2 at once.
    await seekBar(page, p2.offset_secs - 1.5);
    await page.waitVideo('!v.seeking && v.readyState >= 1 && v.currentTime > 4', 10000);
    await page.video('(v.muted = true, v.play(), true)');
    await page.waitFor(`${SAMPLE_COLOUR} === 'red'`, 5000);
    await page.waitVideo('/nomse-2\\.mp4$/.test(v.src) && !v.paused && v.readyState >= 2 && v.currentTime > 0.5', 10000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'lime'`, 5000);
    const local2 = await page.video('v.currentTime');
    assert.ok(Math.abs(await shown(page) - (p2.offset_secs + local2)) <= 1.2, `shown ${await page.text('.time-current')} at ${local2} s into part 2`);
    assert.match(await page.attr('.part[data-part-index="1"]', 'aria-current') ?? '', /true/, 'the part list follows: part 2');

    // A seek to part 3's time, while playing: its file, at the time in it, still playing.
    await seekBar(page, p3.offset_secs + 2);
    await page.waitVideo('/nomse-3\\.mp4$/.test(v.src) && !v.seeking && v.readyState >= 2', 10000);
    assert.ok(Math.abs(await page.video('v.currentTime') - 2) < 1, `2 s into part 3: ${await page.video('v.currentTime')}`);
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 5000);
    await page.waitVideo('!v.paused', 5000);
    const local3 = await page.video('v.currentTime');
    assert.ok(Math.abs(await shown(page) - (p3.offset_secs + local3)) <= 1.2, `shown ${await page.text('.time-current')} at ${local3} s into part 3`);
    assert.ok(Math.abs(await page.evaluate('Number(document.querySelector(".seek-input").value)') - (p3.offset_secs + local3)) < 1, 'the seek bar is at the broadcast time');

    // The last part's end is the player's end.
    await page.waitVideo('v.ended', 10000);
    await page.waitSelector({ role: 'button', name: 'Play', within: '.control-row' }, 5000);
    assert.equal(await partInElement(page), 3);
    assert.equal(await page.count('.player-error'), 0);
    assert.deepEqual(page.errors, []);
  });

  test('?t= opens the part holding it, and the keys seek across parts in broadcast time, paused staying paused', async () => {
    const [, p2, p3] = replay.parts;
    const page = await open('?t=8');
    // The watch page plays at once: somewhere from 8 s on, in part 2.
    await page.waitVideo('/nomse-2\\.mp4$/.test(v.src) && v.readyState >= 1 && !v.seeking', 10000);
    const local = await page.video('v.currentTime');
    assert.ok(local >= 8 - p2.offset_secs - 0.3 && local < 8 - p2.offset_secs + 1.5, `8 s is ${8 - p2.offset_secs} s into part 2: ${local}`);
    await page.waitFor(`${SAMPLE_COLOUR} === 'lime'`, 5000);
    await page.video('v.pause()');
    await page.waitVideo('v.paused && !v.seeking');
    const at = p2.offset_secs + await page.video('v.currentTime');
    await page.waitFor(`document.querySelector(".time-current")?.innerText === ${JSON.stringify(clock(at))}`, 5000);

    // ← is 5 s back: into part 1; L 10 s on: into part 3.
    await page.focus('.player');
    await page.press('ArrowLeft');
    await page.waitVideo('/nomse-1\\.mp4$/.test(v.src) && v.readyState >= 2 && !v.seeking', 10000);
    assert.ok(Math.abs(await page.video('v.currentTime') - (at - 5)) < 0.3, `${at - 5} s: ${await page.video('v.currentTime')}`);
    await page.waitFor(`document.querySelector(".time-current")?.innerText === ${JSON.stringify(clock(at - 5))}`, 5000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'red'`, 5000);
    assert.ok(await page.video('v.paused'), 'paused it was, paused it stays');
    await page.press('l');
    await page.waitVideo('/nomse-3\\.mp4$/.test(v.src) && v.readyState >= 2 && !v.seeking', 10000);
    assert.ok(Math.abs(await page.video('v.currentTime') - (at + 5 - p3.offset_secs)) < 0.3, `${at + 5} s: ${await page.video('v.currentTime')} into part 3`);
    await page.waitFor(`document.querySelector(".time-current")?.innerText === ${JSON.stringify(clock(at + 5))}`, 5000);
    await page.waitFor(`${SAMPLE_COLOUR} === 'blue'`, 5000);
    assert.ok(await page.video('v.paused'));
    assert.equal(await page.count('.player-error'), 0);
    assert.deepEqual(page.errors, []);
  });
});
