// The Time Machine as d2l loads it: downloaded once from d2l's data URL,
// checked against its sha1, and cached. Used only when asked for.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { BpttError } from '../errors';

/** d2l's copy of The Time Machine: its URL, sha1 and cache file name. */
export const TIME_MACHINE = {
  url: 'http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt',
  sha1: '090b5e7e70c295757f55df93cb0a180b9691891a',
  file: 'timemachine.txt',
};

/** Fetches a URL's bytes (injected in tests so no test needs the network). */
export type Fetcher = (url: string) => Promise<Uint8Array>;

const httpFetch: Fetcher = async (url) => {
  const res = await fetch(url);
  if (!res.ok) throw new BpttError('download', url, `failed with HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};

/**
 * Where downloads are cached: `$XDG_CACHE_HOME/webgpu-bptt` when
 * XDG_CACHE_HOME is set to an absolute path (the XDG base directory rule),
 * else `~/.cache/webgpu-bptt`.
 */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'webgpu-bptt');
}

/** The sha1 of `data` as hex. */
export function sha1Hex(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * The file at `url`, from `dir` (default cacheDir()) when a copy with the right sha1 is there,
 * else downloaded, checked and cached. A wrong checksum is an error and
 * nothing is cached.
 */
export async function downloadVerified(
  spec: { url: string; sha1: string; file: string },
  dir: string = cacheDir(),
  fetcher: Fetcher = httpFetch,
): Promise<Uint8Array> {
  const path = join(dir, spec.file);
  if (existsSync(path)) {
    const cached = new Uint8Array(readFileSync(path));
    if (sha1Hex(cached) === spec.sha1) return cached;
  }
  const data = await fetcher(spec.url);
  const got = sha1Hex(data);
  if (got !== spec.sha1) throw new BpttError(`sha1 of ${spec.url}`, got, `must be ${spec.sha1}: the download is corrupt or changed; nothing was cached`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path + '.part', data);
  renameSync(path + '.part', path);
  return data;
}

/** The text of The Time Machine (downloads on first use). */
export async function loadTimeMachine(dir?: string, fetcher?: Fetcher): Promise<string> {
  return new TextDecoder().decode(await downloadVerified(TIME_MACHINE, dir, fetcher));
}
