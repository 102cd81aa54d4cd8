// nginx with Debian's rtmp module (our deploy/ config) for a test, and ffmpeg pushing to it.
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './server.mjs';

const freePort = () => new Promise((ok) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

/**
 * Starts nginx-rtmp on a free port, recording into `server`'s media folder and calling its
 * hooks with `secret`; `env` adds to deploy/run-nginx-rtmp.sh's environment (e.g.
 * RELIVE_NGINX_RECORD_INTERVAL). Returns { port, push(stream, inputs), stop() }: `push`
 * sends ffmpeg `inputs` (read in real time) as H.264/AAC to rtmp://…/live/<stream>.
 */
export async function startNginx(server, secret, env = {}) {
  const port = await freePort();
  const nginx = spawn(join(ROOT, 'deploy', 'run-nginx-rtmp.sh'), [join(server.dir, 'media'), server.base, secret, `127.0.0.1:${port}`], {
    env: { ...process.env, RELIVE_NGINX_SINGLE_PROCESS: '1', ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((ok, fail) => {
    nginx.on('exit', (code) => fail(new Error(`nginx exited with ${code}`)));
    nginx.stdout.once('data', () => setTimeout(ok, 500));
  });
  return {
    port,
    push: (stream, inputs) => new Promise((ok, fail) => {
      execFile('ffmpeg', [
        '-hide_banner', '-loglevel', 'error', '-re', ...inputs,
        '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '25',
        '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', `rtmp://127.0.0.1:${port}/live/${stream}`,
      ], (err, _out, stderr) => (err ? fail(new Error(`ffmpeg push failed: ${stderr}`)) : ok()));
    }),
    stop: () => nginx.kill('SIGTERM'),
  };
}

/** ffmpeg inputs: `seconds` of a 320x180 test pattern with a 440 Hz tone. */
export const pattern = (seconds) => [
  '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', String(seconds),
];
