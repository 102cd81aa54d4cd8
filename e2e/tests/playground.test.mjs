// The embed playground (/embed/playground): the live iframe and its code follow the
// parameters chosen. Pages, not playback: Chromium only.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithOneMp4 } from '../lib/server.mjs';
import { launch } from '../lib/browser.mjs';

let server, id;

before(async () => {
  ({ server, id } = await serverWithOneMp4());
});
after(async () => { await server?.stop(); });

describe('embed playground (chromium)', () => {
  let browser;
  before(async () => { browser = await launch('chromium'); });
  after(async () => { await browser?.close(); });

  test('shows the embed and its code, which follow the parameters', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.base}/embed/playground`);
    await page.waitSelector('.site-header');
    const code = () => page.value('.playground-code');
    // No replay given: the newest one is shown.
    await page.waitFor(`document.querySelector('.playground-code')?.value.includes('/embed/replays/${id}"')`);
    assert.match(await code(), new RegExp(`^<iframe src="${server.base}/embed/replays/${id}" width="640" height="360" title="Relive" allow="autoplay; fullscreen; picture-in-picture"`));
    const frame = await page.frame(`/embed/replays/${id}`);
    await frame.waitVideo('v.readyState >= 1');

    await page.click('input[name=loop]');
    await page.waitFor(`document.querySelector('.playground-code').value.includes('/embed/replays/${id}?loop=1"')`);
    await page.click('input[name=controls]');
    await page.waitFor(`document.querySelector('.playground-code').value.includes('?loop=1&controls=0"')`);
    // The live iframe follows: no controls in it now.
    const live = await page.frame('controls=0');
    await live.waitSelector('.player');
    assert.equal(await live.count('.player-controls'), 0);
    // A start time typed, and an invalid end (before the start) left out.
    await page.focus('input[name=start]');
    await page.press('2'); await page.press('0');
    await page.waitFor(`document.querySelector('.playground-code').value.includes('?start=20&loop=1&controls=0"')`);
    await page.focus('input[name=end]');
    await page.press('5');
    await page.waitFor(`document.querySelector('.playground-code').value.includes('?start=20&loop=1&controls=0"')`);
    // A link to a replay works as well as its number.
    await page.native.locator('input[name=replay]').fill(`${server.base}/u/mei/replays/${id}?t=3`);
    await page.waitFor(`document.querySelector('.playground-code').value.includes('/embed/replays/${id}?start=20')`);
    await page.native.locator('input[name=replay]').fill('nothing');
    await page.waitSelector('.playground-empty');
    assert.equal(await code(), '');
    assert.deepEqual(page.errors, []);
  });
});
