// The player on a phone (Chromium's phone emulation: a 390×844 touch screen at 3×, or
// 320 px wide). Fingers are real touch events sent through the DevTools protocol
// (`Input.dispatchTouchEvent`), so the page sees touch pointer events with the timing the
// test chooses: double taps seek ±10 s (and add up), a long press plays at 2× while held,
// a sideways drag scrubs, a vertical one is the page's. The speed chosen in the menu
// survives a reload; a player scrolled away while playing docks as a mini-player; the
// control bar fits 320 px. Chromium only: the protocol's touch events are its own.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithOneMp4 } from '../lib/server.mjs';
import { launch, newPage, waitFor, waitVideo, sleep } from '../lib/browser.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true, locale: 'en-US' };

let server, id, browser;

before(async () => {
  ({ server, id } = await serverWithOneMp4());
  browser = await launch('chromium');
});
after(async () => { await browser?.close(); await server?.stop(); });

/** A phone page on the watch page at `t` s, paused there, and a finger for it. */
async function phone({ t = 20, options = PHONE, play = false, storyboard = false } = {}) {
  const page = await newPage(browser, options);
  if (storyboard) {
    // A storyboard of one tile per 10 s, given to the replay on its way to the page.
    await page.route(`**/api/v1/replays/${id}`, async (route) => {
      const detail = await (await route.fetch()).json();
      detail.replay.storyboard_url = '/test-storyboard.vtt';
      await route.fulfill({ json: detail });
    });
    const cue = (i) => `00:00:${String(i * 10).padStart(2, '0')}.000 --> 00:0${i === 5 ? '1:00' : `0:${(i + 1) * 10}`}.000\nsheet.jpg#xywh=${i * 160},0,160,90`;
    await page.route('**/test-storyboard.vtt', (route) =>
      route.fulfill({ contentType: 'text/vtt', body: `WEBVTT\n\n${[0, 1, 2, 3, 4, 5].map(cue).join('\n\n')}\n` }));
    // The sheet: any image (a grey pixel).
    const pixel = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==', 'base64');
    await page.route('**/sheet.jpg', (route) => route.fulfill({ contentType: 'image/png', body: pixel }));
  }
  await page.goto(`${server.base}/u/mei/replays/${id}?t=${t}`);
  await waitVideo(page, `v.readyState >= 2 && v.currentTime >= ${t - 0.1}`);
  if (play) {
    await page.evaluate(() => document.querySelector('.player video').play());
    await waitVideo(page, `!v.paused && v.currentTime > ${t + 0.3}`);
  } else {
    await page.evaluate(() => document.querySelector('.player video').pause());
    await waitVideo(page, 'v.paused');
  }
  const cdp = await page.context().newCDPSession(page);
  const touch = (type, x, y) =>
    cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1 }] });
  const finger = {
    down: (x, y) => touch('touchStart', x, y),
    move: (x, y) => touch('touchMove', x, y),
    up: () => touch('touchEnd'),
    async tap(x, y) { await this.down(x, y); await sleep(30); await this.up(); },
    async doubleTap(x, y) { await this.tap(x, y); await sleep(80); await this.tap(x, y); },
    /** From (x0, y) to (x1, y1) in `steps` moves, 16 ms apart; lifted unless `hold`. */
    async drag(x0, y0, x1, y1, steps = 10) {
      await this.down(x0, y0);
      for (let i = 1; i <= steps; i++) {
        await sleep(16);
        await this.move(x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps);
      }
    },
  };
  // The picture's thirds, at its middle height.
  const box = await page.evaluate(() => {
    const r = document.querySelector('.player video').getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  const at = (fx) => [box.x + box.width * fx, box.y + box.height * 0.45];
  return { page, finger, at, box };
}

const time = (page) => page.evaluate(() => document.querySelector('.player video').currentTime);

describe('the player on a phone (chromium)', () => {
  test('double taps seek ±10 s with a ripple, and add up; a single tap plays', async () => {
    const { page, finger, at } = await phone();
    const t0 = await time(page);
    await finger.doubleTap(...at(5 / 6));
    await waitFor(page, `document.querySelector('.player video').currentTime >= ${t0 + 9.5}`);
    assert.ok(Math.abs((await time(page)) - (t0 + 10)) <= 0.5, 'right third: +10 s');
    assert.equal(await page.locator('.gesture-ripple.right').textContent(), '+10 s');
    // Again at once: the ripple adds up.
    await finger.doubleTap(...at(5 / 6));
    await waitFor(page, `document.querySelector('.player video').currentTime >= ${t0 + 19.5}`);
    assert.equal(await page.locator('.gesture-ripple.right').textContent(), '+20 s');
    await sleep(400);
    assert.equal(await page.evaluate(() => document.querySelector('.player video').paused), true,
      'no single tap came out of the double taps (it would have played)');

    await sleep(1200); // the streak is over, the ripple gone
    assert.equal(await page.locator('.gesture-ripple').count(), 0);
    const t1 = await time(page);
    await finger.doubleTap(...at(1 / 6));
    await waitFor(page, `document.querySelector('.player video').currentTime <= ${t1 - 9.5}`);
    assert.ok(Math.abs((await time(page)) - (t1 - 10)) <= 0.5, 'left third: −10 s');
    assert.equal(await page.locator('.gesture-ripple.left').textContent(), '−10 s');

    // One tap, on a paused player: plays (once it is clear no second tap follows).
    await sleep(1200);
    await finger.tap(...at(1 / 2));
    await waitVideo(page, '!v.paused');

    // A double tap in the middle third: full screen, and again: back.
    await sleep(400);
    await finger.doubleTap(...at(1 / 2));
    await waitFor(page, 'document.fullscreenElement?.classList.contains("player")');
    await sleep(400);
    const mid = await page.evaluate(() => [innerWidth / 2, innerHeight / 2]);
    await finger.doubleTap(...mid);
    await waitFor(page, 'document.fullscreenElement === null');
    assert.deepEqual(page.errors, []);
  });

  test('a long press plays at 2× while held, then at the speed before; it is no tap', async () => {
    const { page, finger, at } = await phone({ play: true });
    await finger.down(...at(1 / 2));
    await waitVideo(page, 'v.playbackRate === 2', 2000);
    assert.match(await page.locator('.gesture-fast').textContent(), /2×/);
    await sleep(300);
    await finger.up();
    await waitVideo(page, 'v.playbackRate === 1');
    assert.equal(await page.locator('.gesture-fast').count(), 0);
    await sleep(500);
    assert.equal(await page.evaluate(() => document.querySelector('.player video').paused), false, 'still playing: not a tap');
    assert.equal(await page.evaluate(() => localStorage.getItem('relive:rate')), null, '2× is not remembered');
    assert.deepEqual(page.errors, []);
  });

  test('a sideways drag scrubs and seeks on release; a vertical one scrolls and seeks nothing', async () => {
    const { page, finger, at, box } = await phone({ t: 10, storyboard: true });
    await page.evaluate(() => { document.body.style.minHeight = '4000px'; });
    const t0 = await time(page);
    // 60 % of the picture's width on a 60 s replay: +36 s.
    const [x, y] = at(0.2);
    await finger.drag(x, y, x + box.width * 0.6, y);
    await page.locator('.gesture-drag').waitFor();
    assert.match(await page.locator('.gesture-drag-time').textContent(), /^0:4[5-7] \/ 1:00$/);
    // The storyboard's tile for 0:46 (the fifth, 640 px into the sheet).
    await page.locator('.gesture-drag .seek-preview').waitFor();
    assert.equal(await page.locator('.gesture-drag .seek-preview').getAttribute('data-xywh'), '640,0,160,90');
    assert.ok(Math.abs((await time(page)) - t0) < 0.1, 'not before release');
    await finger.up();
    await waitFor(page, `document.querySelector('.player video').currentTime >= ${t0 + 35}`);
    assert.ok(Math.abs((await time(page)) - (t0 + 36)) <= 1, `+36 s: ${await time(page)}`);
    assert.equal(await page.locator('.gesture-drag').count(), 0);

    const t1 = await time(page);
    // (Above the control bar: a drag on the seek bar is the seek bar's.)
    await finger.drag(x, y - 40, x + 5, y + 40);
    await finger.up();
    await sleep(500);
    assert.ok(Math.abs((await time(page)) - t1) < 0.1, 'a vertical drag does not seek');
    assert.equal(await page.locator('.gesture-drag').count(), 0);
    assert.deepEqual(page.errors, []);
  });

  test('the speed chosen in the menu survives a reload; a long press leaves it', async () => {
    // A phone held sideways: the speed menu shows from 481 px.
    const landscape = { ...PHONE, viewport: { width: 844, height: 390 } };
    const { page } = await phone({ options: landscape });
    await page.locator('.speed select').selectOption('1.5');
    await waitVideo(page, 'v.playbackRate === 1.5');
    assert.equal(await page.evaluate(() => localStorage.getItem('relive:rate')), '1.5');
    await page.reload();
    await waitVideo(page, 'v.readyState >= 1');
    await waitVideo(page, 'v.playbackRate === 1.5');
    assert.equal(await page.locator('.speed select').inputValue(), '1.5');

    await page.evaluate(() => document.querySelector('.player video').play());
    await waitVideo(page, '!v.paused');
    const cdp = await page.context().newCDPSession(page);
    const [x, y] = await page.evaluate(() => {
      const r = document.querySelector('.player video').getBoundingClientRect();
      return [r.x + r.width / 2, r.y + r.height * 0.45];
    });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y, id: 1 }] });
    await waitVideo(page, 'v.playbackRate === 2', 2000);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await waitVideo(page, 'v.playbackRate === 1.5');
    assert.equal(await page.evaluate(() => localStorage.getItem('relive:rate')), '1.5');
    assert.deepEqual(page.errors, []);
  });

  test('scrolled away while playing, the player docks as a mini-player and plays on; Close pauses and undocks', async () => {
    const { page } = await phone({ play: true });
    await page.evaluate(() => { document.body.style.minHeight = '4000px'; });
    const slotHeight = await page.evaluate(() => document.querySelector('.player-slot').getBoundingClientRect().height);
    assert.ok(slotHeight > 200, `the slot holds the player: ${slotHeight}`);
    await page.evaluate(() => window.scrollTo(0, 1500));
    await page.locator('.player.docked').waitFor();
    const dock = await page.evaluate(() => {
      const p = document.querySelector('.player');
      const r = p.getBoundingClientRect();
      return { position: getComputedStyle(p).position, right: innerWidth - r.right, bottom: innerHeight - r.bottom, width: r.width, height: r.height,
        slot: document.querySelector('.player-slot').getBoundingClientRect().height };
    });
    assert.equal(dock.position, 'fixed');
    assert.ok(dock.right >= 0 && dock.right < 40 && dock.bottom >= 0 && dock.bottom < 40, `bottom right: ${JSON.stringify(dock)}`);
    assert.ok(dock.width >= 150 && dock.width <= 200, `about 40 % of 390 px: ${dock.width}`);
    assert.equal(dock.slot, slotHeight, 'the page keeps the player\'s place');
    const t = await time(page);
    await waitVideo(page, `!v.paused && v.currentTime > ${t + 0.5}`);
    assert.equal(await page.locator('.player.docked .player-controls').isVisible(), false);

    await page.getByRole('button', { name: 'Close the mini player' }).click();
    await waitVideo(page, 'v.paused');
    await page.locator('.player.docked').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.player')).position), 'relative');

    // Closed, it stays in its place while the page is away from it, even playing.
    await page.evaluate(() => document.querySelector('.player video').play());
    await waitVideo(page, '!v.paused');
    await sleep(300);
    assert.equal(await page.locator('.player.docked').count(), 0, 'closed stays closed');
    // Back up and away again: docked again; a tap on it goes back to its place.
    await page.evaluate(() => window.scrollTo(0, 0));
    await sleep(300);
    await page.evaluate(() => window.scrollTo(0, 1500));
    await page.locator('.player.docked').waitFor();
    await page.getByRole('button', { name: 'Back to the player' }).click();
    await page.locator('.player.docked').waitFor({ state: 'detached' });
    const top = await page.evaluate(() => document.querySelector('.player-slot').getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 200, `scrolled back: the slot at ${top}`);
    await waitVideo(page, '!v.paused');
    assert.deepEqual(page.errors, []);
  });

  test('at 320 px the control bar fits, its buttons 40 px or more', async () => {
    const narrow = { ...PHONE, viewport: { width: 320, height: 640 } };
    const { page } = await phone({ options: narrow });
    await page.locator('.player-controls').waitFor();
    const row = await page.evaluate(() => {
      const r = document.querySelector('.control-row');
      const box = r.getBoundingClientRect();
      const buttons = [...r.querySelectorAll('button')].filter((b) => b.offsetParent !== null).map((b) => {
        const bb = b.getBoundingClientRect();
        return { name: b.getAttribute('aria-label'), left: bb.left, right: bb.right, width: bb.width, height: bb.height };
      });
      return { scrollWidth: r.scrollWidth, clientWidth: r.clientWidth, left: box.left, right: box.right, buttons,
        page: document.documentElement.scrollWidth };
    });
    assert.ok(row.scrollWidth <= row.clientWidth, `no overflow: ${row.scrollWidth} > ${row.clientWidth}`);
    assert.ok(row.page <= 320, `the page does not scroll sideways: ${row.page}`);
    const names = row.buttons.map((b) => b.name);
    for (const name of ['Play', 'Mute', 'Full screen']) assert.ok(names.includes(name), `${name} in ${names}`);
    assert.ok(row.buttons.length >= 5, `${names}`);
    for (const b of row.buttons) {
      assert.ok(b.width >= 40 && b.height >= 40, `${b.name}: ${b.width}×${b.height}`);
      assert.ok(b.left >= row.left - 0.5 && b.right <= row.right + 0.5, `${b.name} inside the bar`);
    }
    assert.deepEqual(page.errors, []);
  });
});
