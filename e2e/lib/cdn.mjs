// A test CDN with Tencent VOD's Key hotlink protection ("Key 防盗链"), as documented
// (../shared/research/tencent-production.md §8): a request must carry
// `t` (expiry, lower-case hex Unix seconds), optional `exper`/`rlimit`, `us` and
// `sign = md5(KEY + Dir + t + exper + rlimit + us)`, where Dir is the path up to its last
// `/`; anything else is 403. Serves files from a folder with byte ranges and CORS, like a
// CDN in front of VOD storage. Unlike Tencent it allows no clock-skew grace, so a test
// sees its short TTL run out.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { createReadStream, statSync, existsSync } from 'node:fs';
import { join, normalize, extname } from 'node:path';

const TYPES = { '.flv': 'video/x-flv', '.mp4': 'video/mp4', '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.jpg': 'image/jpeg' };

/** Whether `url` (a path with its query) is signed with `key` and not expired at `now` (Unix seconds). */
export function verify(url, key, now) {
  const u = new URL(url, 'http://cdn');
  const q = u.searchParams;
  const [t, us, sign] = [q.get('t'), q.get('us'), q.get('sign')];
  if (!t || !us || !sign) return 'unsigned';
  if (!/^[0-9a-f]+$/.test(t)) return 'bad t';
  if (parseInt(t, 16) < now) return 'expired';
  const dir = u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1);
  const expected = createHash('md5').update(key + dir + t + (q.get('exper') ?? '') + (q.get('rlimit') ?? '') + us).digest('hex');
  return expected === sign ? null : 'bad sign';
}

/**
 * Starts the CDN on a free loopback port serving `root`. `signSegments`: whether `.ts`
 * segments need a signature too (false: only playlists and files are checked — the other
 * answer to the research note's open question 1). Returns { base, refused, served, gone, stop }:
 * `refused` counts 403s by reason, `served` lists what was answered 2xx ({ path, us, browser }: `us`
 * tells one signature from another, `browser` a page's request from the server's own), `gone(path)` makes a file answer 404 from then on.
 */
export async function startCdn(root, key, { signSegments = true } = {}) {
  const refused = {};
  const served = [];
  const deleted = new Set();
  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-headers': 'range', 'access-control-allow-methods': 'GET, HEAD' });
      return res.end();
    }
    const url = new URL(req.url, 'http://cdn');
    const path = decodeURIComponent(url.pathname);
    const isSegment = extname(path) === '.ts';
    const why = isSegment && !signSegments ? null : verify(req.url, key, Math.floor(Date.now() / 1000));
    if (why) {
      refused[why] = (refused[why] ?? 0) + 1;
      res.writeHead(403, { 'content-type': 'text/plain' });
      return res.end(`403 Forbidden: ${why}`);
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || deleted.has(path) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('404 Not Found');
    }
    const size = statSync(file).size;
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let [start, end, status] = [0, size - 1, 200];
    if (range) {
      start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        return res.end();
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    served.push({ path, us: url.searchParams.get('us'), browser: /Mozilla/.test(req.headers['user-agent'] ?? '') });
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    refused,
    served,
    gone: (path) => deleted.add(path),
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}
