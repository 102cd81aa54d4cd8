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
  await link.click();
  await page.waitForURL('**/u/xiaoyu');
  await page.locator('.profile-name', { hasText: 'Xiaoyu' }).waitFor();
  assert.deepEqual(page.errors, []);
});
