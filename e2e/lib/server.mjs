// Starts the real `relive` server (debug build) on a free loopback port with a fresh
// SQLite file and the built web app (dist/), and stops it when done.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { testMp4, publish } from './media.mjs';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CALLBACK_KEY = 'e2e-callback-key';
export const ADMIN_TOKEN = 'e2e-admin-token';

export async function startServer({ demo = false, args = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'relive-e2e-'));
  const bin = process.env.RELIVE_BIN ?? join(ROOT, 'target', 'debug', 'relive');
  const child = spawn(bin, [
    '--listen', '127.0.0.1:0',
    '--db', join(dir, 'relive.db'),
    '--media-dir', join(dir, 'media'),
    '--images-dir', join(dir, 'images'),
    '--dist', join(ROOT, 'dist'),
    '--tencent-callback-key', CALLBACK_KEY,
    '--admin-token', ADMIN_TOKEN,
    ...(demo ? ['--demo'] : []),
    ...args,
  ], { env: { ...process.env, RELIVE_LOG: process.env.RELIVE_TEST_LOG ?? 'error' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server did not start in 30 s')), 30_000);
    child.on('exit', (code) => fail(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/^Relive is running at (http:\/\/\S+?)\/?$/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
  });
  return {
    base, dir,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
    /** Sends a Tencent callback, signed like Tencent signs. */
    async tencent(fields) {
      const t = Math.floor(Date.now() / 1000) + 600;
      const body = { ...fields, t, sign: createHash('md5').update(CALLBACK_KEY + t).digest('hex') };
      const r = await fetch(`${base}/hooks/tencent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (r.status !== 200) throw new Error(`callback failed: ${r.status} ${await r.text()}`);
    },
    /** Announces a recording (Tencent event 100). */
    async tencentRecording({ streamId, fileId, start, duration = 60, url, format = 'mp4', size = 1000 }) {
      await this.tencent({
        event_type: 100, stream_id: streamId, channel_id: streamId, file_id: fileId, file_format: format,
        start_time: start, end_time: start + duration, duration, file_size: size, video_url: url,
      });
    },
    /** The streamer's replays (the first page), or [] while the streamer is unknown. */
    async replays(streamer) {
      const r = await fetch(`${base}/api/v1/streamers/${encodeURIComponent(streamer)}/replays`);
      return r.status === 200 ? (await r.json()).items : [];
    },
    /** Polls the streamer's replays until `done(items)` holds (or `timeout` ms pass); returns the last list. */
    async untilReplays(streamer, done, timeout = 30000) {
      const deadline = Date.now() + timeout;
      let items = [];
      while (Date.now() < deadline) {
        items = await this.replays(streamer);
        if (done(items)) return items;
        await new Promise((r) => setTimeout(r, 250));
      }
      return items;
    },
    async admin(method, path, body) {
      const r = await fetch(`${base}${path}`, {
        method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return r.status === 204 ? null : r.json();
    },
  };
}

/** A fresh server (`startServer()`) holding one replay of streamer `mei`: an MP4 of
 * `seconds` (`testMp4`) recorded an hour ago, through a Tencent callback. */
export async function serverWithOneMp4(seconds = 60) {
  const server = await startServer();
  try {
    const url = publish(server, testMp4(seconds), 'clock.mp4');
    const now = Math.floor(Date.now() / 1000);
    await server.tencentRecording({ streamId: 'mei', fileId: 'one', start: now - 3600, duration: seconds, url });
    const page = await (await fetch(`${server.base}/api/v1/streamers/mei/replays`)).json();
    return { server, id: page.items[0].id };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
