// In Chromium: markup in titles and bios stays text, javascript: avatars never load,
// and only /embed/ pages can be framed by another site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer } from '../lib/server.mjs';
import { launch, newPage } from '../lib/browser.mjs';

let server, browser, replayId;
const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;

before(async () => {
  server = await startServer();
  browser = await launch();
  await server.tencentRecording({ streamId: 'sec', fileId: 'x1', start: Math.floor(Date.now() / 1000) - 60, duration: 30, url: 'https://vod.example.com/a.mp4' });
  replayId = (await (await fetch(`${server.base}/api/v1/streamers/sec/replays`)).json()).items[0].id;
  await server.admin('PATCH', `/api/v1/replays/${replayId}`, { title: XSS });
  await server.admin('PUT', '/api/v1/streamers/sec', { display_name: `<b onmouseover=alert(1)>sec</b>`, bio: XSS });
});
after(async () => { await browser?.close(); await server?.stop(); });

test('markup in titles, names and bios renders as text', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  for (const path of ['/u/sec', `/u/sec/replays/${replayId}`]) {
    await page.goto(server.base + path);
    await page.locator('.replay-card:not(.skeleton)').first().waitFor();
    assert.equal(await page.evaluate(() => window.__xss), undefined, path);
    assert.equal(await page.locator('main img[src="x"], main script').count(), 0, path);
  }
  assert.ok((await page.locator('.watch-title').innerText()).includes('<img src=x onerror='));
  const res = await fetch(`${server.base}/api/v1/streamers/sec`, { method: 'PUT', headers: { authorization: 'Bearer e2e-admin-token', 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'x', avatar_url: 'javascript:alert(1)' }) });
  assert.equal(res.status, 400, 'javascript: avatars are refused');
});

test('only embed pages can be framed by another site', async () => {
  const host = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><iframe id=embed src="${server.base}/embed/replays/${replayId}" title=a></iframe>
      <iframe id=page src="${server.base}/u/sec" title=b></iframe>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  try {
    const page = await newPage(browser, { locale: 'en-US' });
    const blocked = [];
    page.on('console', (m) => { if (/frame-ancestors|Refused to display/.test(m.text())) blocked.push(m.text()); });
    await page.goto(`http://localhost:${host.address().port}/`);
    await page.frameLocator('#embed').locator('.player').waitFor();
    await page.waitForTimeout(1000);
    const profile = page.frames().find((f) => f.url().includes('/u/sec'));
    const rendered = profile ? await profile.locator('.profile-name').count().catch(() => 0) : 0;
    assert.equal(rendered, 0, 'the profile page does not render inside another site');
    assert.ok(blocked.length > 0, 'Chromium reports the refusal');
    page.errors = [];
  } finally {
    host.close();
  }
});
