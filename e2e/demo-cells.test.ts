// The demo page with LSTM and GRU cells, stacked layers and the truncations
// beyond the chapter, in real headless Chromium: every cell trains, a 2-layer
// LSTM trains from a shared link, TBPTT(k1, k2) runs and the segment figure
// shows each loss's reach, and per-sequence ξ runs. (What the cells and
// truncations teach on the delay task is e2e/demo-lessons.test.ts.) Every
// wait is on the page's own state. Screenshots go to e2e/artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startSession, openPage, type Session } from './browser';

const ART = join(import.meta.dirname, 'artifacts');
mkdirSync(ART, { recursive: true });
let s: Session;
/** One page for every case (its device's pipelines compile once); each case opens its settings with __demo.load, as a link would. */
let shared: { page: Page; errors: string[] };
beforeAll(async () => {
  s = await startSession('demo');
  await s.server.watcher.close(); // no hot reload mid-test when another file is saved
  shared = await openPage(s, '/');
  await shared.page.waitForFunction(() => (window as unknown as { __demo?: { ready(): boolean } }).__demo?.ready(), undefined, { timeout: 60_000 });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

type Demo = {
  hasInk(id: string): boolean;
  steps(): number[];
  runs(): number;
  losses(): number[][];
  measured(): number[];
  state(): 'training' | 'paused';
  drawn(id: string): string[];
  reach(i: number): number[] | null;
  model(i: number): { cell: string; layers: number; truncation: string } | null;
};
const demo = <T>(page: Page, f: (d: Demo) => T) => page.evaluate(`(${f.toString()})(window.__demo)`) as Promise<T>;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The shared page with the settings of `path` (a link such as /?hidden=32&…), its loop stopped and its runs rebuilt. */
async function ready(path: string) {
  const { page, errors } = shared;
  await page.evaluate((q) => (window as unknown as { __demo: { load(q: string): Promise<void> } }).__demo.load(q), path.replace(/^\/\??/, ''));
  return { page, errors };
}
/** Wait until every run's statistics have arrived for at least n steps, or the page shows an error (a GPU error stops training). */
async function waitSteps(page: Page, n: number) {
  await page.waitForFunction((n) => (window as unknown as { __demo: Demo }).__demo.measured().every((x) => x >= n) || document.getElementById('alert')!.textContent !== '', n, { timeout: 300_000 });
}
/** Press Pause and wait until the loop has stopped and every step's numbers have landed. */
async function pause(page: Page) {
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.state() === 'paused');
}
/** Train from the form for n measured steps, pause, and return run 0's losses. */
async function trainFor(page: Page, n: number): Promise<number[]> {
  await page.getByRole('button', { name: 'Train' }).click();
  await waitSteps(page, n);
  await pause(page);
  expect(await page.locator('#alert').textContent()).toBe(''); // no GPU error, no bad setting
  return (await demo(page, (d) => d.losses()))[0];
}
/** Williams & Peng's reach, written from the definition: j = max(0, (⌊t/k1⌋ + 1)·k1 − k2). */
const tbpttReach = (T: number, k1: number, k2: number) => Array.from({ length: T }, (_, t) => Math.max(0, (Math.floor(t / k1) + 1) * k1 - k2));

const SMALL = 'hidden=16&steps=16&batch=8&lr=0.02';

describe('demo page: cells, layers and truncations', () => {
  it('trains each cell (rnn, lstm, gru) chosen in the form: the loss falls; activation shows for the rnn only; ρ(W_hh) is explained away for LSTM/GRU; LSTM gets a ‖∂L/∂c_t‖ heatmap', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    const activation = page.locator('select[name=activation]');
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      await page.locator('select[name=cell]').selectOption(cell); // a change: the next Train builds a new model
      expect(await activation.isVisible()).toBe(cell === 'rnn'); // a field shows only where it applies
      expect(await page.locator('#activationNote').isHidden()).toBe(cell === 'rnn');
      const losses = await trainFor(page, 24);
      expect(await demo(page, (d) => d.model(0))).toEqual({ cell, layers: 1, truncation: 'full' });
      const head = mean(losses.slice(0, 3)), tail = mean(losses.slice(-3));
      console.log(`demo ${cell} H=16: ${losses.length} losses, first 3 ${head.toFixed(3)} → last 3 ${tail.toFixed(3)}`);
      expect(tail).toBeLessThan(head - 0.1);
      for (const id of ['lossChart', 'gradChart', 'heatChart', 'rhoChart']) expect(await page.evaluate((id) => (window as unknown as { __demo: Demo }).__demo.hasInk(id), id), `${cell} ${id}`).toBe(true);
      const title = (await demo(page, (d) => d.drawn('rhoChart:title')))[0];
      if (cell === 'rnn') {
        expect(await demo(page, (d) => d.drawn('rhoChart'))).toEqual(['ρ(W_hh) full', 'measured full']);
        expect(await demo(page, (d) => d.drawn('heatChart'))).toEqual(['full']);
      } else {
        expect(title).toMatch(new RegExp(`ρ\\(W_hh\\) is not meaningful for ${cell.toUpperCase()}: W_hh is ${cell === 'lstm' ? 4 : 3}H × H, not square`));
        expect(title).toMatch(/gates' Jacobian decides growth/);
        expect(await demo(page, (d) => d.drawn('rhoChart'))).toEqual(['measured full']);
        expect(await demo(page, (d) => d.drawn('heatChart'))).toEqual(cell === 'lstm' ? ['full ‖∂L/∂h_t‖', 'full ‖∂L/∂c_t‖'] : ['full']);
      }
      await page.screenshot({ path: join(ART, `demo-cell-${cell}.png`), fullPage: true });
    }
    expect(errors).toEqual([]);
  }, 300_000);

  it('a 2-layer LSTM trains from a shared link, and Share link carries cell and layers', async () => {
    const { page, errors } = await ready(`/?${SMALL}&cell=lstm&layers=2`);
    expect(await page.locator('select[name=cell]').inputValue()).toBe('lstm');
    expect(await page.locator('input[name=layers]').inputValue()).toBe('2');
    const losses = await trainFor(page, 24);
    expect(await demo(page, (d) => d.model(0))).toEqual({ cell: 'lstm', layers: 2, truncation: 'full' });
    const head = mean(losses.slice(0, 3)), tail = mean(losses.slice(-3));
    console.log(`demo 2-layer lstm H=16: first 3 ${head.toFixed(3)} → last 3 ${tail.toFixed(3)}`);
    expect(tail).toBeLessThan(head - 0.1);
    await page.getByRole('button', { name: 'Share link' }).click();
    const link = new URL((await page.locator('#link').textContent())!);
    expect(link.searchParams.get('cell')).toBe('lstm');
    expect(link.searchParams.get('layers')).toBe('2');
    // out-of-range layers get the page's message
    await page.fill('input[name=layers]', '5');
    await page.locator('input[name=layers]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Layers must be a whole number from 1 to 4 \(got 5\)/);
    expect(errors).toEqual([]);
  });

  it('TBPTT(k1, k2) from the select runs on a GRU and the segment figure shows each loss\'s reach; bad k2 gets the library\'s message', async () => {
    const { page, errors } = await ready(`/?${SMALL}&cell=gru`);
    await page.locator('select[name=strategy]').selectOption('tbptt');
    await page.fill('input[name=k1]', '3');
    await page.fill('input[name=k2]', '2');
    await page.locator('input[name=k2]').dispatchEvent('change');
    expect(await page.locator('#truncationText').textContent()).toMatch(/tbptt:3:2$/);
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Truncation: truncation\.k2 = 2: must be ≥ k1 = 3/);
    expect(await demo(page, (d) => d.runs())).toBe(0);
    await page.fill('input[name=k2]', '7');
    await page.locator('input[name=k2]').dispatchEvent('change');
    const losses = await trainFor(page, 6);
    expect(await page.locator('#alert').textContent()).toBe('');
    expect(await demo(page, (d) => d.model(0))).toEqual({ cell: 'gru', layers: 1, truncation: 'tbptt(k1=3, k2=7)' });
    expect(losses.every(Number.isFinite)).toBe(true);
    // the plan's reaches are Williams & Peng's, and the figure draws one row per block of k1 losses
    expect(await demo(page, (d) => d.reach(0))).toEqual(tbpttReach(16, 3, 7));
    const rows = page.locator('#segments div.reach');
    expect(await rows.count()).toBe(Math.ceil(16 / 3));
    // block m's row: k1 losses (bold), after the k2 − k1 steps before them (or from 0)
    for (let m = 0; m < 6; m++) {
      const a = 3 * m, b = Math.min(16, a + 3), j = Math.max(0, a + 3 - 7);
      expect(await rows.nth(m).getAttribute('title')).toBe(`losses t = ${a}…${b - 1} backpropagate into h_${j} … h_${b - 1}`);
      expect((await rows.nth(m).locator('.loss').textContent())!.length).toBe(b - a);
      expect((await rows.nth(m).locator('.back').textContent())!.length).toBe(a - j);
    }
    await page.locator('#segments').screenshot({ path: join(ART, 'demo-tbptt-reach.png') });
    expect(errors).toEqual([]);
  });

  it('randomized truncation with per-sequence ξ and a geometric schedule runs; the figure shows sequence 0 and says so', async () => {
    const { page, errors } = await ready(`/?${SMALL}&cell=gru&strategy=randomized&piSchedule=geometric&p=0.3&min=3&perSequence=true`);
    expect(await page.locator('input[name=perSequence]').isChecked()).toBe(true);
    expect(await page.locator('#truncationText').textContent()).toMatch(/geometric:0\.3:3:per-sequence$/);
    const losses = await trainFor(page, 8);
    expect(await demo(page, (d) => d.model(0))).toEqual({ cell: 'gru', layers: 1, truncation: 'randomized(geometric p=0.3, min 3) per sequence' });
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(await page.locator('#segments .name').first().textContent()).toBe('geometric p=0.3 min=3, per sequence (sequence 0; each draws its own ξ)');
    // geometric lengths with a minimum of 3: no segment of sequence 0 is shorter than 3 steps, except a last one cut by the window's end
    const segs = await page.locator('#segments span.seg').allTextContents();
    expect(segs.join('').length).toBe(16);
    for (const t of segs.slice(0, -1)) expect(t.length).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
  });
});
