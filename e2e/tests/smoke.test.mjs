// The built web app loads in Chromium against the real server (a bad wasm-opt, say,
// builds fine and dies only here) and shows the demo data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, newPage } from '../lib/browser.mjs';

let server, browser;
before(async () => { server = await startServer({ demo: true }); browser = await launch(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('the directory lists the demo streamers and links to a profile', async () => {
  const page = await newPage(browser);
  await page.goto(server.base + '/');
  const link = page.getByRole('link', { name: /Xiaoyu/ });
  await link.waitFor();
  await page.evaluate(() => { window.__samePage = true; });
  await link.click();
  await page.waitForURL('**/u/xiaoyu');
  await page.locator('.profile-name', { hasText: 'Xiaoyu' }).waitFor();
  // Links inside the app are history entries, not page loads.
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no page load');

  // Into a replay, then back twice and forward once: each address shows its page.
  await page.locator('a.replay-card').first().click();
  await page.waitForURL(/\/u\/xiaoyu\/replays\/\d+$/);
  await page.locator('.player video').waitFor();
  await page.goBack();
  await page.locator('.profile-name', { hasText: 'Xiaoyu' }).waitFor();
  assert.equal(await page.locator('.player').count(), 0, 'the player is gone with its page');
  await page.goBack();
  await page.getByRole('link', { name: /Xiaoyu/ }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  await page.goForward();
  await page.locator('.profile-name', { hasText: 'Xiaoyu' }).waitFor();

  // Opening a link in a new tab is left to the browser. (The cards come with the list,
  // after the profile's name: wait for them.)
  await page.locator('a.replay-card').first().waitFor();
  const modified = await page.evaluate(() => {
    const a = document.querySelector('a.replay-card');
    // After the app's own listener: keeps the browser from opening a real tab in the test.
    document.addEventListener('click', (ev) => ev.preventDefault(), { once: true });
    a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, ctrlKey: true }));
    return location.pathname;
  });
  assert.equal(modified, '/u/xiaoyu', 'a ctrl-click does not navigate this tab');
  assert.deepEqual(page.errors, []);
});
