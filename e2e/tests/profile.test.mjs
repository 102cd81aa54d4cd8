// The profile page: header, bio safety, history replays with infinite scroll, empty and
// error states, language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, newPage } from '../lib/browser.mjs';

let server, browser;
const now = Math.floor(Date.now() / 1000);

before(async () => {
  server = await startServer();
  browser = await launch();
  // 30 replays, and (the push event below) a 31st being recorded now: the profile shows
  // 12 a page.
  for (let i = 0; i < 30; i++) {
    await server.tencentRecording({
      streamId: 'lin', fileId: `lin-${i}`, start: now - (i + 1) * 7200, duration: 3600 + i,
      url: `https://vod.example.com/lin/${i}.mp4`,
    });
  }
  await server.admin('PUT', '/api/v1/streamers/lin', {
    display_name: '林 Lin', bio: 'Evening talk shows.\n<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>\nhttps://example.com/lin',
  });
  await server.admin('PUT', '/api/v1/streamers/quiet', { display_name: 'Quiet One', bio: '' });
  await server.tencent({ event_type: 1, stream_id: 'lin', event_time: now, sequence: '42' });
});
after(async () => { await browser?.close(); await server?.stop(); });

test('profile shows name, bio with safe links, figures and replays', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/lin`);
  await page.locator('h1.profile-name', { hasText: '林 Lin' }).waitFor();
  const bio = page.locator('.bio');
  assert.match(await bio.innerText(), /Evening talk shows\.\n<img src=x onerror="window.__xss=1"> <script>/);
  assert.equal(await bio.locator('img, script').count(), 0, 'bio markup stays text');
  const link = bio.locator('a');
  assert.equal(await link.getAttribute('href'), 'https://example.com/lin');
  assert.match(await link.getAttribute('rel'), /noopener/);
  assert.match(await link.getAttribute('rel'), /nofollow/);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.match(await page.locator('.profile-stats').innerText(), /31 replays · \d+ hours recorded/);
  // Live and recording: one badge says both.
  assert.equal(await page.locator('h1.profile-name .live-badge').innerText(), 'Recording now');
  assert.equal(await page.locator('.replay-card').first().locator('.status-badge[data-status=recording]').count(), 1, 'the newest card is being recorded');
  await page.locator('.replay-card:not(.skeleton)').first().waitFor();
  // The first page has 12; the next may already be on its way (it loads ahead of the scroll).
  assert.ok((await page.locator('.replay-card:not(.skeleton)').count()) >= 12);
  assert.deepEqual(page.errors, []);
});

test('scrolling loads the next pages with no duplicates', async () => {
  const page = await newPage(browser, { locale: 'en-US', viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.base}/u/lin`);
  const cards = page.locator('.replay-grid .replay-card:not(.skeleton)');
  await cards.first().waitFor();
  for (let i = 0; i < 10 && (await cards.count()) < 31; i++) {
    await page.mouse.wheel(0, 4000);
    await page.waitForTimeout(300);
  }
  const hrefs = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('href')));
  assert.equal(hrefs.length, 31);
  assert.equal(new Set(hrefs).size, 31, 'no duplicates');
  await page.locator('.list-footer', { hasText: "That's all of them." }).waitFor();
});

test('the load-more button works without scrolling', async () => {
  const page = await newPage(browser, { locale: 'en-US', viewport: { width: 1280, height: 4000 } });
  await page.goto(`${server.base}/u/lin`);
  const cards = page.locator('.replay-grid .replay-card:not(.skeleton)');
  await cards.first().waitFor();
  // A tall window: the sentinel is visible at once, so pages may load by themselves;
  // either way the button, when shown, loads more.
  const button = page.getByRole('button', { name: 'Load more' });
  const end = page.locator('.list-footer', { hasText: "That's all of them." });
  let clicks = 0;
  for (let i = 0; i < 20 && !(await end.isVisible()); i++) {
    // The button can vanish between seeing and clicking it when the sentinel starts
    // the same page by itself: then there is simply nothing to click this time.
    if (await button.isVisible()) {
      clicks += await button.click({ timeout: 2000 }).then(() => 1, () => 0);
    } else {
      await page.waitForTimeout(100);
    }
  }
  assert.ok(clicks > 0 || (await cards.count()) === 31, 'the button loaded pages, or there was no need');
  await page.locator('.list-footer', { hasText: "That's all of them." }).waitFor();
  assert.equal(await cards.count(), 31);
});

test('a streamer without replays shows the empty state', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/quiet`);
  await page.locator('.empty-state', { hasText: 'No replays yet' }).waitFor();
  assert.equal(await page.locator('.replay-card').count(), 0);
});

test('an unknown streamer and an unknown page say so', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(`${server.base}/u/nobody-here`);
  await page.locator('.empty-state', { hasText: 'There is no streamer at this address.' }).waitFor();
  await page.goto(`${server.base}/no/such/page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
});

test('a server error shows the error state and retry recovers', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  let failures = 0;
  await page.route('**/api/v1/streamers/lin/replays*', async (route) => {
    if (failures++ === 0) return route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"storage","message":"boom"}' });
    return route.continue();
  });
  await page.goto(`${server.base}/u/lin`);
  const error = page.locator('.error-state');
  await error.waitFor();
  assert.match(await error.innerText(), /Couldn't load this/);
  await error.getByRole('button', { name: 'Retry' }).click();
  await page.locator('.replay-grid .replay-card:not(.skeleton)').first().waitFor();
  assert.equal(await error.count(), 0);
  page.errors = page.errors.filter((e) => !e.includes('500'));
  assert.deepEqual(page.errors, []);
});

test('zh-CN viewers get Chinese, and the choice of language is remembered', async () => {
  const page = await newPage(browser, { locale: 'zh-CN' });
  await page.goto(`${server.base}/u/lin`);
  await page.getByRole('heading', { name: '历史回放' }).waitFor();
  assert.match(await page.locator('.profile-stats').innerText(), /31 个回放 · 共录制 \d+ 小时/);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await page.getByLabel('语言').selectOption('en');
  await page.getByRole('heading', { name: 'History replays' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'History replays' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
});
