// Screenshots of the profile and watch pages, phone and desktop, light and dark, for
// people to look at. The folder is printed; the test checks each page rendered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { launch, newPage, waitFor, waitVideo } from '../lib/browser.mjs';

const OUT = process.env.SCREENSHOTS ?? join(import.meta.dirname, '..', 'screenshots');
let server, browser;
before(async () => { server = await startServer({ demo: true }); browser = await launch(); mkdirSync(OUT, { recursive: true }); });
after(async () => { await browser?.close(); await server?.stop(); console.log(`# screenshots in ${OUT}`); });

const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

for (const [device, viewport] of Object.entries(sizes)) {
  for (const scheme of ['light', 'dark']) {
    test(`profile and watch pages, ${device}, ${scheme}`, async () => {
      const page = await newPage(browser, { viewport, colorScheme: scheme, locale: scheme === 'dark' ? 'zh-CN' : 'en-US', isMobile: device === 'phone', hasTouch: device === 'phone' });
      await page.goto(`${server.base}/u/xiaoyu`);
      await page.locator('.replay-grid .replay-card:not(.skeleton)').first().waitFor();
      await page.screenshot({ path: join(OUT, `profile-${device}-${scheme}.png`), fullPage: true });
      await page.locator('.replay-grid .replay-card:not(.skeleton)').first().click();
      await page.locator('.player video').waitFor();
      await waitVideo(page, 'v.readyState >= 2');
      await page.evaluate(() => document.querySelector('.player video').pause());
      await page.screenshot({ path: join(OUT, `watch-${device}-${scheme}.png`), fullPage: true });
      assert.deepEqual(page.errors, []);
    });
  }
}
