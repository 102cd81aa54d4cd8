// Tencent VOD's Key hotlink protection (issue 14): recordings on a CDN that refuses
// unsigned or expired URLs (e2e/lib/cdn.mjs, the documented signature, a 10-second TTL).
// The server signs every URL it hands out and fetches; the player, refused mid-session,
// asks for freshly signed URLs and goes on from where it was. The key never reaches a page.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { startCdn } from '../lib/cdn.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';
import { testHeavy, testHls } from '../lib/media.mjs';

const KEY = 'E2eVodKey0123456789';
const TTL = 10;
const SECONDS = 120;
let server, cdn, root;
const replays = {};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'relive-cdn-'));
  const put = (dir, file) => {
    mkdirSync(join(root, dir), { recursive: true });
    copyFileSync(file, join(root, dir, basename(file)));
    return `/${dir}/${basename(file)}`;
  };
  const hls = testHls(SECONDS);
  for (const f of readdirSync(hls.dir)) put('vod/hls', join(hls.dir, f));
  const paths = { flv: put('vod/flv', testHeavy('video.flv', SECONDS)), mp4: put('vod/mp4', testHeavy('video.mp4', SECONDS)), hls: `/vod/hls/${basename(hls.playlist)}` };
  cdn = await startCdn(root, KEY);
  server = await startServer({ args: ['--tencent-vod-key', KEY, '--tencent-vod-sign-ttl', String(TTL)] });
  const start = Math.floor(Date.now() / 1000) - 86400;
  for (const [i, format] of ['flv', 'mp4', 'hls'].entries()) {
    await server.tencentRecording({ streamId: `signed-${format}`, fileId: `signed-${format}`, start: start + i * 3600, duration: SECONDS, url: `${cdn.base}${paths[format]}`, format, size: 1 });
    const r = await fetch(`${server.base}/api/v1/streamers/signed-${format}/replays`);
    replays[format] = (await r.json()).items[0];
  }
});
after(async () => {
  await server?.stop();
  await cdn?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('the CDN refuses unsigned URLs; the API hands out signed ones that it serves, with their expiry', async () => {
  for (const format of ['flv', 'mp4', 'hls']) {
    const r = replays[format];
    assert.ok(r, `${format} replay listed`);
    const part = r.parts[0];
    const bare = part.url.split('?')[0];
    assert.equal((await fetch(bare)).status, 403, `${format}: unsigned is refused`);
    assert.match(part.url, /[?&]t=[0-9a-f]+&us=[0-9a-f]+&sign=[0-9a-f]{32}$/, part.url);
    assert.ok(part.url_expires_at > Date.now() / 1000 && part.url_expires_at <= Date.now() / 1000 + TTL + 5, `expiry ${part.url_expires_at}`);
    const got = await fetch(part.url, { headers: { range: 'bytes=0-99' } });
    assert.ok([200, 206].includes(got.status), `${format}: signed URL served (${got.status})`);
    await got.arrayBuffer();
  }
});

test('no page or API response contains the key', async () => {
  const urls = ['/', '/u/signed-flv', `/u/signed-flv/replays/${replays.flv.id}`, '/api/v1/streamers', '/api/v1/streamers/signed-flv/replays',
    `/api/v1/replays/${replays.flv.id}`, `/api/v1/replays/${replays.hls.id}`, '/api/v1/openapi.json'];
  for (const u of urls) {
    const body = await (await fetch(`${server.base}${u}`)).text();
    assert.ok(!body.includes(KEY), `${u} contains the key`);
  }
});

for (const engine of ENGINES) describe(`signed URLs that expire mid-session (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  for (const format of ['flv', 'mp4', 'hls']) {
    test(`${format}: starts, waits past the expiry, seeks to 75 % and keeps playing`, async (t) => {
      const r = replays[format];
      const page = await browser.newPage();
      const expiredBefore = cdn.refused.expired ?? 0;
      const servedBefore = cdn.served.length;
      await page.goto(`${server.base}/u/${r.streamer_id}/replays/${r.id}`);
      await page.waitVideo('v.readyState >= 2', 20000);
      await page.video('(v.muted = true, v.play(), true)');
      await page.waitVideo('v.currentTime > 1', 20000);
      // Past the signature the page got (the API's expiry is the CDN's too).
      const { replay } = await (await fetch(`${server.base}/api/v1/replays/${r.id}`)).json();
      await sleep(Math.max(0, replay.parts[0].url_expires_at * 1000 - Date.now()) + TTL * 1000 + 1500);
      const target = SECONDS * 0.75;
      await page.video(`v.currentTime = ${target}`);
      await page.waitVideo(`!v.seeking && v.readyState >= 2 && v.currentTime >= ${target - 0.5}`, 30000);
      await page.waitVideo(`!v.paused && v.currentTime > ${target + 3}`, 30000);
      const refusedNow = (cdn.refused.expired ?? 0) - expiredBefore;
      // Signatures the CDN served this replay's files with: the page's first, and the ones it
      // got after (renewed when refused, or ahead of a read when about to expire).
      const dir = new URL(r.parts[0].url).pathname.replace(/[^/]*$/, '');
      const signatures = new Set(cdn.served.slice(servedBefore).filter((s) => s.browser && s.path.startsWith(dir)).map((s) => s.us));
      t.diagnostic(`${engine} ${format}: expired requests refused: ${refusedNow}; signatures served: ${signatures.size}`);
      assert.ok(signatures.size >= 2, 'the player read on with a renewed URL after the first expired (else this test proves nothing)');
      assert.equal(await page.count('.player-error'), 0, 'no error shown');
      // The browser itself logs each refused request ("… status of 403"); nothing else may fail.
      assert.deepEqual(page.errors.filter((e) => !/\b403\b/.test(e)), []);
      const html = await page.evaluate('document.documentElement.outerHTML');
      assert.ok(!html.includes(KEY), 'the page never holds the key');
    });
  }
});
