// All real: nginx with Debian's rtmp module (our deploy/ config), our server, ffmpeg
// pushing H.264/AAC with ?record=flv and ?record=mp4, and each engine playing the replays.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { ENGINES, launch } from '../lib/browser.mjs';
import { startNginx, pattern } from '../lib/nginx.mjs';

const SECRET = 'e2e-hook-secret';
let server, nginx, recorded;

const push = (stream, seconds) => nginx.push(stream, pattern(seconds));

const replays = (streamer) => server.replays(streamer);

before(async () => {
  server = await startServer({ args: ['--hook-secret', SECRET] });
  nginx = await startNginx(server, SECRET);
});
after(async () => {
  nginx?.stop();
  await server?.stop();
});

test('pushes recorded by nginx-rtmp appear with their durations', async () => {
  await Promise.all([push('rec-flv?record=flv', 8), push('rec-mp4?record=mp4', 8)]);
  const deadline = Date.now() + 15000;
  let flv = [], mp4 = [];
  while (Date.now() < deadline && (flv.length === 0 || mp4.length === 0)) {
    await new Promise((r) => setTimeout(r, 250));
    [flv, mp4] = await Promise.all([replays('rec-flv'), replays('rec-mp4')]);
  }
  assert.equal(flv.length, 1, 'the FLV push is listed');
  assert.equal(mp4.length, 1, 'the MP4 push is listed');
  assert.equal(flv[0].format, 'flv');
  assert.equal(mp4[0].format, 'mp4');
  for (const r of [flv[0], mp4[0]]) {
    assert.ok(Math.abs(r.duration_secs - 8) <= 0.5, `duration ${r.duration_secs} of ${r.url}`);
    assert.equal(r.width, 320);
  }
  recorded = [['rec-flv', flv[0]], ['rec-mp4', mp4[0]]];
});

for (const engine of ENGINES) describe(`recorded pushes play (${engine})`, () => {
  let browser;
  before(async () => { browser = await launch(engine); });
  after(async () => { await browser?.close(); });

  test('the FLV and the MP4 recording play and seek', async () => {
    assert.ok(recorded, 'the pushes were recorded (the test before)');
    for (const [streamer, r] of recorded) {
      const page = await browser.newPage();
      await page.goto(`${server.base}/u/${streamer}/replays/${r.id}`);
      await page.waitVideo('v.readyState >= 1');
      await page.video('v.play()');
      await page.waitVideo('v.currentTime > 1');
      await page.focus('.player');
      await page.press('6'); // 60 %: 4.8 s
      await page.waitVideo('v.currentTime >= 4.7 && v.currentTime < 8.5');
      await page.waitVideo('v.currentTime > 5.3');
      assert.equal(await page.count('.player-error'), 0, `${streamer} plays`);
      assert.deepEqual(page.errors, [], `${streamer}: no page errors`);
    }
  });
});
