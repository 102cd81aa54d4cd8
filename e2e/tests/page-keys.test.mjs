// The player's shortcuts at page level: on a watch page nobody has clicked, with focus
// on the page's body, → seeks and Space pauses without scrolling the page; a key in a
// text field or on a link is left to it. Each test runs in every engine.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithOneMp4 } from '../lib/server.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';

let server, id;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ({ server, id } = await serverWithOneMp4());
});
after(async () => { await server?.stop(); });

for (const engine of ENGINES) describe(`page-level shortcuts (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('without a click: → seeks +5 s, Space pauses, the page does not scroll', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${id}?t=10`);
    await page.waitVideo('v.readyState >= 1 && v.currentTime >= 9.9');
    // A page long enough to scroll, so that a Space that scrolled would show.
    await page.evaluate(() => { document.body.style.minHeight = '4000px'; window.scrollTo(0, 0); });
    await page.video('v.play()');
    await page.waitVideo('!v.paused && v.currentTime > 10.5');
    assert.equal(await page.evaluate(() => document.activeElement === document.body), true, 'focus stays on the body');
    const scrollY = await page.evaluate(() => window.scrollY);

    const t0 = await page.video('v.currentTime');
    await page.press('ArrowRight');
    await page.waitVideo(`v.currentTime >= ${t0 + 4.5}`);
    assert.ok((await page.video('v.currentTime')) < t0 + 7, 'one step of 5 s');
    await page.press(' ');
    await page.waitVideo('v.paused');
    assert.equal(await page.evaluate(() => window.scrollY), scrollY, 'Space did not scroll');
    await page.press(' ');
    await page.waitVideo('!v.paused');
    assert.equal(await page.evaluate(() => window.scrollY), scrollY);
    assert.equal(await page.evaluate(() => document.activeElement === document.body), true);
    assert.deepEqual(page.errors, []);
  });

  test('Space typed in a text field or on a link is theirs', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/u/mei/replays/${id}`);
    await page.waitVideo('v.readyState >= 1');
    // A text field outside the player (a search box, say).
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.id = 'q'; input.type = 'search'; input.setAttribute('aria-label', 'search');
      document.querySelector('.watch-main').append(input);
    });
    await page.video('v.play()');
    await page.waitVideo('!v.paused && v.currentTime > 0.5');
    await page.focus('#q');
    await page.press('a');
    await page.press(' ');
    await page.press('b');
    await page.press('ArrowLeft');
    await sleep(500);
    assert.equal(await page.value('#q'), 'a b', 'the field got the keys');
    assert.equal(await page.video('v.paused'), false, 'Space in the field did not pause');
    // A link with focus: Space and → are not the player's either.
    await page.focus('.watch-streamer');
    const t0 = await page.video('v.currentTime');
    await page.press('ArrowRight');
    await sleep(500);
    assert.equal(await page.video('v.paused'), false);
    assert.ok((await page.video('v.currentTime')) < t0 + 3, 'no seek with a link focused');
    // The player itself focused: its keys, as before.
    await page.focus('.player');
    await page.press('k');
    await page.waitVideo('v.paused');
    assert.deepEqual(page.errors, []);
  });
});
