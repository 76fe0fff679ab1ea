// What the e2e files share: one Vite server and Chromium per file, a page
// that computes in the browser and leaves its answer in window.__result, and
// the relative error the checks use (test/gpu.ts has its own; this one loads
// no Dawn into the test process).
import { beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { startSession, openPage, type Session } from './browser';

/** A session started before the file's tests and closed after them; call the returned function inside a test. */
export function fileSession(mode?: 'development' | 'demo'): () => Session {
  let s: Session | undefined;
  beforeAll(async () => {
    s = await startSession(mode);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });
  return () => {
    if (!s) throw new Error('e2e session not started');
    return s;
  };
}

/** Open `path`, wait until the page sets window.__result, and return it with the page's console errors. */
export async function pageResult<R>(s: Session, path: string, timeout = 240_000): Promise<{ r: R; errors: string[]; page: Page }> {
  const { page, errors } = await openPage(s, path);
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout });
  const r = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as R;
  return { r, errors, page };
}

/** max |a − b| / max |b| (Infinity when the lengths differ). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}
