// Issue 16: the web app hosted anywhere, and oEmbed. (a) The built app (dist/) copied to a
// temporary folder, pointed at the Relive server with scripts/set-api-base.sh and served
// by a plain static server (`python3 -m http.server`) on a second origin: it lists a
// streamer's replays and plays an FLV (MSE, `blob:`) and an MP4, every API and media
// request going to the Relive server's origin. (b) A replay's oEmbed `html` put in a page
// on that other origin plays. Chromium only: this is about addresses and CORS, not the engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, ROOT } from '../lib/server.mjs';
import { launch, newPage, waitFor, sleep } from '../lib/browser.mjs';
import { testFlv, testMp4 } from '../lib/media.mjs';

let server, browser, site, siteDir, python;
const ids = {};
const now = Math.floor(Date.now() / 1000);

const freePort = () => new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

before(async () => {
  server = await startServer();
  await server.admin('PUT', '/api/v1/streamers/hosted', { display_name: 'Hosted Elsewhere' });
  // Local recordings (nginx-rtmp's hook): their URLs are paths on the server (`/media/…`,
  // no --public-url), which the app must fetch from the server, not from its own origin.
  const media = join(server.dir, 'media', 'live');
  mkdirSync(media, { recursive: true });
  const files = { flv: [testFlv(60), now - 7200], mp4: [testMp4(60), now - 3600] };
  for (const [kind, [file, ends]] of Object.entries(files)) {
    const path = join(media, `hosted-${kind}.${kind}`);
    copyFileSync(file, path);
    utimesSync(path, ends, ends); // its start is its time less its duration: two broadcasts
    const r = await fetch(`${server.base}/hooks/nginx-rtmp`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ call: 'record_done', app: 'live', name: 'hosted', path }),
    });
    assert.equal(r.status, 200, await r.text());
  }
  for (const r of await server.untilReplays('hosted', (items) => items.length === 2)) {
    ids[r.format] = r.id;
    assert.ok(r.url.startsWith('/media/live/'), r.url);
    await server.admin('PATCH', `/api/v1/replays/${r.id}`, { title: `Static ${r.format.toUpperCase()}` });
  }
  assert.deepEqual(Object.keys(ids).sort(), ['flv', 'mp4']);

  siteDir = mkdtempSync(join(tmpdir(), 'relive-static-'));
  cpSync(join(ROOT, 'dist'), siteDir, { recursive: true });
  execFileSync(join(ROOT, 'scripts', 'set-api-base.sh'), [siteDir, server.base]);
  const port = await freePort();
  python = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', siteDir], { stdio: 'ignore' });
  site = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${site}/index.html`)).ok) break; } catch { /* not up yet */ }
    if (i > 100) throw new Error('the static server did not start');
    await sleep(100);
  }
  browser = await launch();
});
after(async () => {
  await browser?.close();
  python?.kill();
  await server?.stop();
  if (siteDir) rmSync(siteDir, { recursive: true, force: true });
});

/** Plays the page's (or frame's) video until it is past 1 s; returns its src. */
async function plays(target) {
  await waitFor(target, `document.querySelector('.player video')?.readyState >= 1`, 30000);
  await target.evaluate(() => document.querySelector('.player video').play());
  await waitFor(target, `document.querySelector('.player video').currentTime > 1`, 30000);
  return target.evaluate(() => document.querySelector('.player video').src);
}

test('the app on a static host lists replays and plays an FLV and an MP4 from the API on another origin', async () => {
  const index = readFileSync(join(siteDir, 'index.html'), 'utf8');
  assert.match(index, new RegExp(`<meta name="relive-api" content="${server.base}">`));
  const page = await newPage(browser);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  // A plain static server has no fallback to index.html for /u/…: start at the root.
  await page.goto(`${site}/`);
  await page.getByRole('link', { name: /Hosted Elsewhere/ }).click();
  await page.waitForURL(`${site}/u/hosted`);
  await page.locator('a.replay-card:not(.skeleton)').nth(1).waitFor();
  assert.equal(await page.locator('a.replay-card:not(.skeleton)').count(), 2);
  // Links inside the app stay on its own origin.
  for (const href of await page.locator('a.replay-card').evaluateAll((as) => as.map((a) => a.href))) {
    assert.ok(href.startsWith(`${site}/u/hosted/replays/`), href);
  }

  await page.locator('a.replay-card', { hasText: 'Static FLV' }).click();
  await page.waitForURL(`${site}/u/hosted/replays/${ids.flv}`);
  assert.ok((await plays(page)).startsWith('blob:'), 'the FLV plays through MSE');
  assert.equal(await page.locator('.player-error').count(), 0);

  await page.goBack();
  await page.locator('a.replay-card', { hasText: 'Static MP4' }).click();
  await page.waitForURL(`${site}/u/hosted/replays/${ids.mp4}`);
  assert.equal(await plays(page), `${server.base}/media/live/hosted-mp4.mp4`, 'the MP4 from the server');

  // Everything of the API and its media went to the server; only the app's files came from the site.
  const misplaced = requests.filter((u) => u.startsWith(site) && /\/(api|media|images)\//.test(new URL(u).pathname));
  assert.deepEqual(misplaced, []);
  assert.ok(requests.some((u) => u.startsWith(`${server.base}/api/v1/streamers/hosted/replays`)), 'the list from the server');
  assert.ok(requests.some((u) => u === `${server.base}/media/live/hosted-flv.flv`), 'the FLV fetched from the server');
  assert.ok(requests.some((u) => u === `${server.base}/api/v1/replays/${ids.flv}/keyframes`), 'its keyframes from the server');
  assert.deepEqual(page.errors, []);
});

test("a replay's oEmbed html, put in another site's page, plays", async () => {
  const watch = `${server.base}/u/hosted/replays/${ids.flv}`;
  const r = await fetch(`${server.base}/oembed?url=${encodeURIComponent(watch)}&maxwidth=480&format=json`);
  assert.equal(r.status, 200);
  const o = await r.json();
  assert.equal(o.type, 'video');
  assert.equal(o.width, 480);
  assert.equal(o.height, 270);
  assert.match(o.html, /^<iframe src="[^"]+\/embed\/replays\/\d+" width="480" height="270" .*sandbox="[^"]+".*><\/iframe>$/);
  writeFileSync(join(siteDir, 'blog.html'), `<!doctype html><title>A blog</title><link rel="icon" href="data:,"><h1>My favourite replay</h1>\n${o.html}\n`);

  const page = await newPage(browser);
  await page.goto(`${site}/blog.html`);
  const box = await page.locator('iframe').boundingBox();
  assert.deepEqual([Math.round(box.width), Math.round(box.height)], [480, 270]);
  let frame;
  for (let i = 0; i < 100 && !frame; i++) {
    frame = page.frames().find((f) => f.url().startsWith(`${server.base}/embed/replays/`));
    if (!frame) await sleep(100);
  }
  assert.ok(frame, 'the embed page loads in the iframe');
  assert.ok((await plays(frame)).startsWith('blob:'), 'the FLV plays in the sandboxed iframe, through MSE');
  assert.equal(await frame.locator('.player-error').count(), 0);
  assert.deepEqual(page.errors, []);
});
