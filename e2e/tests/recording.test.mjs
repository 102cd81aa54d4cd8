// All real: nginx with Debian's rtmp module (our deploy/ config), our server, ffmpeg
// pushing H.264/AAC with ?record=flv and ?record=mp4, and Chromium playing the replays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startServer, ROOT } from '../lib/server.mjs';
import { launch, newPage, waitFor, waitVideo } from '../lib/browser.mjs';

const SECRET = 'e2e-hook-secret';
let server, browser, nginx, rtmpPort;

const freePort = () => new Promise((ok) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

function push(stream, seconds) {
  return new Promise((ok, fail) => {
    execFile('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '25',
      '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/${stream}`,
    ], (err, _out, stderr) => (err ? fail(new Error(`ffmpeg push failed: ${stderr}`)) : ok()));
  });
}

async function replays(streamer) {
  const r = await fetch(`${server.base}/api/v1/streamers/${streamer}/replays`);
  return r.status === 200 ? (await r.json()).items : [];
}

before(async () => {
  server = await startServer({ args: ['--hook-secret', SECRET] });
  browser = await launch();
  rtmpPort = await freePort();
  nginx = spawn(join(ROOT, 'deploy', 'run-nginx-rtmp.sh'), [join(server.dir, 'media'), server.base, SECRET, `127.0.0.1:${rtmpPort}`], {
    env: { ...process.env, RELIVE_NGINX_SINGLE_PROCESS: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((ok, fail) => {
    nginx.on('exit', (code) => fail(new Error(`nginx exited with ${code}`)));
    nginx.stdout.once('data', () => setTimeout(ok, 500));
  });
});
after(async () => {
  nginx?.kill('SIGTERM');
  await browser?.close();
  await server?.stop();
});

test('pushes recorded by nginx-rtmp appear with their durations and play', async () => {
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

  for (const [streamer, r] of [['rec-flv', flv[0]], ['rec-mp4', mp4[0]]]) {
    const page = await newPage(browser, { locale: 'en-US' });
    await page.goto(`${server.base}/u/${streamer}/replays/${r.id}`);
    const wait = (cond) => waitVideo(page, cond);
    await wait('v.readyState >= 1');
    await page.evaluate(() => document.querySelector('.player video').play());
    await wait('v.currentTime > 1');
    await page.locator('.player').focus();
    await page.keyboard.press('6'); // 60 %: 4.8 s
    await wait('v.currentTime >= 4.7 && v.currentTime < 8.5');
    await wait('v.currentTime > 5.3');
    assert.equal(await page.locator('.player-error').count(), 0, `${streamer} plays`);
  }
});
