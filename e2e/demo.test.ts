// The demo page in real headless Chromium: it loads clean, trains, pauses,
// steps, compares the three strategies, draws every chart, takes a dropped
// file, and answers bad settings with a message. Screenshots of the main
// states go to e2e/artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { startSession, openPage, CHROMIUM, CHROMIUM_ARGS, type Session } from './browser';

const ART = join(import.meta.dirname, 'artifacts');
mkdirSync(ART, { recursive: true });
let s: Session;
beforeAll(async () => {
  s = await startSession('demo');
}, 120_000);
afterAll(async () => {
  await s?.close();
});

const SMALL = 'hidden=32&steps=16&batch=8&lr=0.02';
type Demo = { hasInk(id: string): boolean; steps(): number[]; runs(): number; losses(): number[][]; longTasks: number[] };
const stepsOf = (page: Page) => page.evaluate(() => (window as unknown as { __demo: Demo }).__demo.steps());
async function waitSteps(page: Page, n: number) {
  await page.waitForFunction((n) => (window as unknown as { __demo: { steps(): number[] } }).__demo.steps().every((x) => x >= n), n, { timeout: 120_000 });
}

async function ready(path: string) {
  const { page, errors } = await openPage(s, path);
  await page.waitForFunction(() => document.getElementById('device')!.textContent!.startsWith('Device:'), undefined, { timeout: 60_000 });
  return { page, errors };
}

describe('demo page', () => {
  it('trains: loss falls, charts and heatmap draw, Pause stops, Step steps, no long tasks', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 30);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForTimeout(500);
    const paused = await stepsOf(page);
    await page.waitForTimeout(1500);
    expect(await stepsOf(page)).toEqual(paused);
    const status = await page.getByRole('status').textContent();
    expect(status).toMatch(/Step \d+ · loss \d+\.\d+ · perplexity \d+\.\d+/);
    const losses = (await page.evaluate(() => (window as unknown as { __demo: Demo }).__demo.losses()))[0];
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3, tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    console.log(`demo: ${losses.length} losses, first ${head.toFixed(3)} → last ${tail.toFixed(3)}; ${status}`);
    expect(tail).toBeLessThan(head);
    for (const id of ['lossChart', 'gradChart', 'heatChart', 'rhoChart']) {
      expect(await page.evaluate((id) => (window as unknown as { __demo: Demo }).__demo.hasInk(id), id), id).toBe(true);
    }
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForFunction((n) => (window as unknown as { __demo: Demo }).__demo.steps()[0] === n + 1, paused[0]);
    await page.waitForFunction(() => document.getElementById('greedy')!.textContent!.length > 0, undefined, { timeout: 30_000 });
    const long = await page.evaluate(() => (window as unknown as { __demo: Demo }).__demo.longTasks);
    console.log(`demo: main-thread long tasks while training: ${JSON.stringify(long)}`);
    await page.screenshot({ path: join(ART, 'demo-trained.png'), fullPage: true });
    expect(errors).toEqual([]);
    // page safety: a CSP with no remote origins, and no request leaves the page's own origin
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/https?:\/\/|unsafe-eval/);
    expect(requests.filter((u) => !u.startsWith(s.base) && !u.startsWith('data:'))).toEqual([]);
  });

  it('without WebGPU the page explains what to do instead of failing', async () => {
    const plain = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => !a.includes('webgpu') && !a.includes('swiftshader')).concat(['--disable-gpu', '--disable-features=WebGPU']) });
    try {
      const page = await plain.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${s.base}/?${SMALL}`);
      await page.waitForFunction(() => !document.getElementById('nogpu')!.hidden, undefined, { timeout: 30_000 });
      expect(await page.locator('#nogpu').textContent()).toMatch(/WebGPU is not available in this browser.*Chrome or Edge \(113 or later\)/);
      await page.getByRole('button', { name: 'Train' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/WebGPU is not available/);
      await page.screenshot({ path: join(ART, 'demo-no-webgpu.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('compares the three strategies side by side on the delay task', async () => {
    const { page, errors } = await ready(`/?${SMALL}&data=delay&delay=6&strategy=regular&tau=4&pi=0.3`);
    await page.getByRole('button', { name: 'Compare strategies' }).click();
    await waitSteps(page, 12);
    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await page.evaluate(() => (window as unknown as { __demo: Demo }).__demo.runs())).toBe(3);
    const segs = await page.locator('#segments > div').count();
    expect(segs).toBe(3);
    // regular τ=4 over a 16-step window: 4 segments; full: 1
    const fullSegs = await page.locator('#segments > div').nth(0).locator('span.seg').count();
    const regSegs = await page.locator('#segments > div').nth(1).locator('span.seg').count();
    expect(fullSegs).toBe(1);
    expect(regSegs).toBe(4);
    await page.screenshot({ path: join(ART, 'demo-compare.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('a dropped text file becomes the corpus; a chosen binary file gets a message', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    const text = 'It was a bright cold day in April, and the clocks were striking thirteen. '.repeat(40);
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'april.txt', { type: 'text/plain' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page.waitForFunction(() => document.getElementById('dataInfo')!.textContent!.includes('april.txt'));
    expect(await page.locator('#dataInfo').textContent()).toMatch(/april\.txt: \d+ symbols, \d+ characters/);
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 3);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('#file').setInputFiles({ name: 'image.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x00]) });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/"image\.png" is not a UTF-8 text file/);
    expect(errors).toEqual([]);
  });

  it('bad settings get a message and the page keeps working', async () => {
    const { page, errors } = await ready(`/?${SMALL.replace("hidden=32", "hidden=0")}`);
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Hidden size must be a whole number from 1 to 1024 \(got 0\)/);
    await page.fill('input[name=hidden]', '16');
    await page.getByLabel('Truncation').selectOption('regular');
    await page.fill('input[name=tau]', '40');
    await page.locator('input[name=tau]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/τ = 40 is larger than the window \(16 steps\)/);
    await page.screenshot({ path: join(ART, 'demo-bad-settings.png'), fullPage: true });
    await page.fill('input[name=tau]', '4');
    await page.locator('input[name=tau]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 3);
    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await page.locator('#alert').textContent()).toBe(''); // empty (and hidden from the accessibility tree)
    expect(errors).toEqual([]);
  });
});
