// The Time Machine loader against a local HTTP server on 127.0.0.1 (an
// ephemeral port, no network): downloaded once and cached, a copy with the
// wrong sha1 refused with nothing cached, a corrupt cache repaired, HTTP
// errors named, and the cache under $XDG_CACHE_HOME when it is set.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadVerified, loadTimeMachine, cacheDir, TIME_MACHINE } from '../src/node/timemachine';
import { BpttError } from '../src/errors';

const GOOD = new TextEncoder().encode('The Time Traveller (for so it will be convenient to speak of him)\n'.repeat(50));
const OTHER = new TextEncoder().encode('a different text of some other book\n'.repeat(50));
// the sha1 of GOOD, by Node's crypto directly (not the package's sha1Hex)
const GOOD_SHA1 = createHash('sha1').update(GOOD).digest('hex');

let server: Server;
let base = '';
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = req.url === '/good.txt' ? GOOD : req.url === '/other.txt' ? OTHER : null;
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(Buffer.from(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const savedXdg = process.env.XDG_CACHE_HOME;
afterEach(() => {
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
});

describe('downloadVerified over HTTP', () => {
  it('downloads once, checks the sha1, caches; the second call reads the cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-'));
    hits.length = 0;
    const spec = { url: `${base}/good.txt`, sha1: GOOD_SHA1, file: 'good.txt' };
    const first = await downloadVerified(spec, dir);
    expect(Buffer.from(first).equals(Buffer.from(GOOD))).toBe(true);
    expect(Buffer.from(readFileSync(join(dir, 'good.txt'))).equals(Buffer.from(GOOD))).toBe(true);
    const second = await downloadVerified(spec, dir);
    expect(Buffer.from(second).equals(Buffer.from(GOOD))).toBe(true);
    expect(hits).toEqual(['/good.txt']); // one request in all
  });

  it('a wrong file (sha1 mismatch) is a BpttError naming both hashes, and nothing is cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-'));
    const otherSha1 = createHash('sha1').update(OTHER).digest('hex');
    const p = downloadVerified({ url: `${base}/other.txt`, sha1: GOOD_SHA1, file: 'good.txt' }, dir);
    await expect(p).rejects.toBeInstanceOf(BpttError);
    await expect(downloadVerified({ url: `${base}/other.txt`, sha1: GOOD_SHA1, file: 'good.txt' }, dir)).rejects.toThrow(
      `sha1 of ${base}/other.txt = ${otherSha1}: must be ${GOOD_SHA1}: the download is corrupt or changed; nothing was cached`,
    );
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('a cached copy with the wrong sha1 is downloaded again and replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-'));
    writeFileSync(join(dir, 'good.txt'), 'truncated');
    hits.length = 0;
    const got = await downloadVerified({ url: `${base}/good.txt`, sha1: GOOD_SHA1, file: 'good.txt' }, dir);
    expect(Buffer.from(got).equals(Buffer.from(GOOD))).toBe(true);
    expect(hits).toEqual(['/good.txt']);
    expect(Buffer.from(readFileSync(join(dir, 'good.txt'))).equals(Buffer.from(GOOD))).toBe(true);
    expect(readdirSync(dir)).toEqual(['good.txt']); // no .part left behind
  });

  it('an HTTP error is a BpttError with the status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-'));
    await expect(downloadVerified({ url: `${base}/missing.txt`, sha1: GOOD_SHA1, file: 'x.txt' }, dir)).rejects.toThrow(`download = ${base}/missing.txt: failed with HTTP 404`);
  });
});

describe('XDG_CACHE_HOME', () => {
  it('cacheDir: $XDG_CACHE_HOME/webgpu-bptt when absolute, else ~/.cache/webgpu-bptt', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/webgpu-bptt');
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'webgpu-bptt'));
    expect(cacheDir({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'webgpu-bptt'));
    expect(cacheDir({ XDG_CACHE_HOME: 'relative/dir' })).toBe(join(homedir(), '.cache', 'webgpu-bptt')); // the spec says ignore it
  });

  it('the default cache follows XDG_CACHE_HOME at call time: the download lands there and is read from there', async () => {
    const xdg = mkdtempSync(join(tmpdir(), 'xdg-cache-'));
    process.env.XDG_CACHE_HOME = xdg;
    hits.length = 0;
    const spec = { url: `${base}/good.txt`, sha1: GOOD_SHA1, file: 'good-xdg.txt' };
    await downloadVerified(spec);
    const where = join(xdg, 'webgpu-bptt', 'good-xdg.txt');
    expect(Buffer.from(readFileSync(where)).equals(Buffer.from(GOOD))).toBe(true);
    await downloadVerified(spec);
    expect(hits).toEqual(['/good.txt']);
  });

  it('loadTimeMachine with the default cache under XDG_CACHE_HOME: wrong bytes are refused against d2l\'s sha1 and nothing lands there', async () => {
    const xdg = mkdtempSync(join(tmpdir(), 'xdg-cache-'));
    process.env.XDG_CACHE_HOME = xdg;
    const asked: string[] = [];
    const fetcher = async (url: string) => {
      asked.push(url);
      return OTHER;
    };
    await expect(loadTimeMachine(undefined, fetcher)).rejects.toThrow(`must be ${TIME_MACHINE.sha1}`);
    expect(asked).toEqual([TIME_MACHINE.url]);
    expect(existsSync(join(xdg, 'webgpu-bptt', TIME_MACHINE.file))).toBe(false);
  });
});
