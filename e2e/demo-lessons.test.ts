// The demo's experiments in real headless Chromium: each one is picked from
// the picker (or opened from its link), run with Compare for a bounded
// number of steps, and the lesson its text states is asserted on the numbers
// the page measured. One browser, one server and one page for the lessons
// (the device's pipelines are compiled once). Then the layout (the run
// controls in view at 1400×1000 and 390×844, no horizontal scroll, fields only
// where they apply) and the two languages. Every wait is on the page's own
// state. Screenshots go to $DEMO_SHOTS (default e2e/artifacts).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, BrowserContext } from 'playwright-core';
import { startSession, type Session } from './browser';
import { WORDS } from '../demo/words';
import { EXPERIMENTS } from '../demo/experiments';

const SHOTS = process.env.DEMO_SHOTS ?? join(import.meta.dirname, 'artifacts');
mkdirSync(SHOTS, { recursive: true });
const CHANCE = Math.log(8);

type Demo = {
  steps(): number[];
  runs(): number;
  losses(): number[][];
  measured(): number[];
  state(): 'training' | 'paused';
  ready(): boolean;
  experiment(): string;
  skipped(): number[];
  labels(): string[];
  drawn(id: string): string[];
  reach(i: number): number[] | null;
  decay(i: number): { step: number; dh: number[]; rho: number } | null;
  model(i: number): { cell: string; layers: number; truncation: string } | null;
};
const demo = <T>(page: Page, f: (d: Demo) => T) => page.evaluate(`(${f.toString()})(window.__demo)`) as Promise<T>;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

let s: Session;
let context: BrowserContext;
let page: Page;
const errors: string[] = [];

async function open(ctx: BrowserContext, path: string, errs: string[]): Promise<Page> {
  const p = await ctx.newPage();
  p.on('console', (m) => m.type() === 'error' && errs.push(m.text()));
  p.on('pageerror', (e) => errs.push(String(e)));
  await p.goto(s.base + path);
  await p.waitForFunction(() => (window as unknown as { __demo?: Demo }).__demo?.ready(), undefined, { timeout: 60_000 });
  return p;
}

beforeAll(async () => {
  s = await startSession('demo');
  await s.server.watcher.close(); // no hot reload mid-test when another file is saved
  context = await s.browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'en-US' });
  page = await open(context, '/', errors);
}, 120_000);
afterAll(async () => {
  await s?.close();
});

/** Pick the experiment, press Compare, and wait for n measured steps of every run (or the page pausing itself); then Pause. */
async function runExperiment(id: string, n: number): Promise<number[][]> {
  await page.locator('#experiment').selectOption(id);
  await page.waitForFunction((id) => (window as unknown as { __demo: Demo }).__demo.experiment() === id, id);
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await page.waitForFunction(
    (n) => {
      const d = (window as unknown as { __demo: Demo }).__demo;
      return (d.runs() > 0 && d.measured().every((x) => x >= n)) || (d.state() === 'paused' && d.steps().some((x) => x > 0)) || document.getElementById('alert')!.textContent !== '';
    },
    n,
    { timeout: 240_000 },
  );
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.state() === 'paused');
  expect(await page.locator('#alert').textContent()).toBe('');
  const exp = EXPERIMENTS.find((e) => e.id === id)!;
  expect(await demo(page, (d) => d.labels())).toEqual(exp.variants.map((v) => v.label.en));
  return demo(page, (d) => d.losses());
}

/** The least-squares slope of ln y against x, as a factor per unit of x. */
function factorPerStep(ys: number[]): number {
  const xs = ys.map((_, i) => i), ls = ys.map(Math.log);
  const mx = mean(xs), my = mean(ls);
  const num = xs.reduce((a, x, i) => a + (x - mx) * (ls[i] - my), 0), den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return Math.exp(num / den);
}

describe('demo experiments: each lesson, asserted', () => {
  it('1. vanishing: with only the last loss, ‖∂L/∂h_t‖ of the linear model falls ≥ 10× over the window, at the rate ρ(W_hh) predicts', async () => {
    await runExperiment('vanishing', 3);
    await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.decay(1) !== null);
    const [lin, tanh] = [await demo(page, (d) => d.decay(0)), await demo(page, (d) => d.decay(1))];
    // the measured gradient k steps back from the last step (k = 0 … T − 1)
    const byK = (d: { dh: number[] }) => d.dh.slice().reverse();
    const fall = lin!.dh[lin!.dh.length - 1] / lin!.dh[0];
    const rate = factorPerStep(byK(lin!).slice(4)); // past the first steps' transient
    const tanhRate = factorPerStep(byK(tanh!).slice(4));
    console.log(`demo vanishing: linear ‖∂L/∂h_31‖/‖∂L/∂h_0‖ = ${fall.toExponential(2)}, measured factor per step ${rate.toFixed(3)} vs ρ(W_hh) ${lin!.rho.toFixed(3)}; tanh ${tanhRate.toFixed(3)} vs ρ ${tanh!.rho.toFixed(3)}`);
    expect(fall).toBeGreaterThanOrEqual(10);
    expect(Math.abs(rate - lin!.rho) / lin!.rho).toBeLessThan(0.1);
    // the chart draws the measured line and the predicted one beside it, for each run
    expect(await demo(page, (d) => d.drawn('decayChart'))).toEqual(['linear (identity)', 'tanh'].flatMap((l) => [`measured ${l}`, `predicted ρ(W_hh)^k ${l}`]));
    await page.screenshot({ path: join(SHOTS, 'lesson-vanishing-en-1400.png') });
    expect(errors).toEqual([]);
  });

  it('2. exploding: without clipping every update is skipped as non-finite and the page pauses; with θ = 1 none is and the loss falls', async () => {
    const losses = await runExperiment('exploding', 60);
    const skipped = await demo(page, (d) => d.skipped());
    const measured = await demo(page, (d) => d.measured());
    const warning = (await page.locator('#nonfinite').textContent())!;
    console.log(`demo exploding: skipped ${JSON.stringify(skipped)} of ${JSON.stringify(measured)}; clipped run loss ${losses[1][0].toFixed(2)} → ${losses[1][losses[1].length - 1].toFixed(2)}`);
    expect(skipped[0]).toBeGreaterThanOrEqual(20);
    expect(skipped[1]).toBe(0);
    expect(losses[1].every(Number.isFinite)).toBe(true);
    expect(mean(losses[1].slice(-3))).toBeLessThan(mean(losses[1].slice(0, 3)));
    expect(warning).toMatch(/exploding-gradient lesson/);
    // the gradient-norm chart cannot draw ∞: its legend counts the steps it leaves out
    const legend = await demo(page, (d) => d.drawn('gradChart'));
    expect(legend[0]).toMatch(/^no clipping \(θ = 10⁶\) \((\d+) steps NaN\/∞, not drawn\)$/);
    expect(legend[1]).toBe('clipping θ = 1');
    expect(warning).toMatch(/no clipping \(θ = 10⁶\): \d+ of \d+ steps skipped/);
    expect(warning).toMatch(/Training was paused because every recent step was skipped/);
    expect(warning).toMatch(/clip the gradient norm at θ = 1 \(it is 1000000\), lower the learning rate \(it is 0\.3\)/);
    // the status does not show the last finite loss as if all were well
    const status = (await page.getByRole('status').textContent())!;
    expect(status).toMatch(new RegExp(`^Step \\d+ · loss not finite \\(step skipped\\).* ${skipped[0]} skipped as non-finite — .* · paused$`));
    await page.screenshot({ path: join(SHOTS, 'lesson-exploding-en-1400.png') });
    expect(errors).toEqual([]);
  });

  it('3. the three strategies on The Time Machine: the figure cuts where each stops the gradient, and all three learn at about the same rate', async () => {
    const losses = await runExperiment('strategies', 24);
    const segs = page.locator('#segments > div');
    expect(await segs.count()).toBe(3);
    expect(await segs.nth(0).locator('span.seg').count()).toBe(1); // full: one piece
    expect(await segs.nth(1).locator('span.seg').count()).toBe(4); // regular τ = 6 over 24 steps
    const heads = losses.map((l) => mean(l.slice(0, 3))), tails = losses.map((l) => mean(l.slice(-5)));
    console.log(`demo strategies: loss first 3 → last 5 of 24 steps: ${losses.map((_, i) => `${heads[i].toFixed(3)} → ${tails[i].toFixed(3)}`).join(', ')} (full, regular τ=6, randomized π=0.5)`);
    for (let i = 0; i < 3; i++) expect(tails[i]).toBeLessThan(heads[i] - 0.3);
    expect(Math.max(...tails) - Math.min(...tails)).toBeLessThan(0.3);
    await page.screenshot({ path: join(SHOTS, 'lesson-strategies-en-1400-full.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('4. delay k = 3: full BPTT and randomized truncation fall below chance, regular τ = 3 stays at chance', async () => {
    const [full, regular, rand] = (await runExperiment('delay', 60)).map((l) => mean(l.slice(-10)));
    console.log(`demo delay k=3: loss over the last 10 of 60 steps: full ${full.toFixed(3)}, regular τ=3 ${regular.toFixed(3)}, randomized π=0.8 ${rand.toFixed(3)} (chance ${CHANCE.toFixed(3)})`);
    expect(full).toBeLessThan(1);
    expect(rand).toBeLessThan(CHANCE - 0.3);
    expect(regular).toBeGreaterThan(CHANCE - 0.1);
    expect(errors).toEqual([]);
  });

  it('5. delay k = 12 at one learning rate: the RNN stays at chance, the LSTM (forget gate opened) falls below it', async () => {
    const [rnn, lstm] = (await runExperiment('lstm', 120)).map((l) => mean(l.slice(-20)));
    console.log(`demo rnn vs lstm, delay 12: loss over the last 20 of 120 steps: rnn ${rnn.toFixed(3)}, lstm ${lstm.toFixed(3)} (chance ${CHANCE.toFixed(3)})`);
    expect(await demo(page, (d) => d.drawn('heatChart'))).toEqual(['rnn', 'lstm (forget-gate bias +1) ‖∂L/∂h_t‖', 'lstm (forget-gate bias +1) ‖∂L/∂c_t‖']);
    expect(await demo(page, (d) => d.model(1))).toEqual({ cell: 'lstm', layers: 1, truncation: 'full' });
    expect(rnn).toBeGreaterThan(CHANCE - 0.1);
    expect(lstm).toBeLessThan(rnn - 0.06);
    await page.screenshot({ path: join(SHOTS, 'lesson-lstm-en-1400.png') });
    expect(errors).toEqual([]);
  });

  it('6. TBPTT(4, 8) learns delay 4 on the same blocks where regular τ = 4 cannot; the figure shows each block\'s reach', async () => {
    const [regular, tb] = (await runExperiment('tbptt', 60)).map((l) => mean(l.slice(-10)));
    console.log(`demo tbptt: delay 4, loss over the last 10 of 60 steps: regular τ=4 ${regular.toFixed(3)}, TBPTT(4, 8) ${tb.toFixed(3)} (chance ${CHANCE.toFixed(3)})`);
    // Williams & Peng's reach, from the definition: j = max(0, (⌊t/k1⌋ + 1)·k1 − k2)
    expect(await demo(page, (d) => d.reach(1))).toEqual(Array.from({ length: 16 }, (_, t) => Math.max(0, (Math.floor(t / 4) + 1) * 4 - 8)));
    expect(regular).toBeGreaterThan(CHANCE - 0.1);
    expect(tb).toBeLessThan(regular - 0.5);
    await page.screenshot({ path: join(SHOTS, 'lesson-tbptt-en-1400.png') });
    expect(errors).toEqual([]);
  });
});

describe('demo layout and languages', () => {
  /** Every run control inside the viewport, and no horizontal scroll. */
  async function controlsInView(p: Page) {
    const { w, h, scroll } = await p.evaluate(() => ({ w: innerWidth, h: innerHeight, scroll: document.documentElement.scrollWidth }));
    expect(scroll).toBeLessThanOrEqual(w);
    for (const id of ['experiment', 'train', 'pause', 'step', 'reset', 'compare']) {
      const box = (await p.locator(`#${id}`).boundingBox())!;
      expect(box.y, id).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height, id).toBeLessThanOrEqual(h);
      expect(box.x + box.width, id).toBeLessThanOrEqual(w);
    }
  }

  it('the run controls stay in view at 1400×1000 and 390×844, at the top and scrolled down; nothing scrolls sideways', async () => {
    await page.evaluate(() => scrollTo(0, 0));
    await controlsInView(page);
    await page.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await controlsInView(page); // sticky
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.evaluate(() => (window as unknown as { __demo: { load(q: string): Promise<void> } }).__demo.load('exp=delay'));
      await page.getByRole('button', { name: 'Compare', exact: true }).click(); // the longest status and segment lines
      await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.measured().every((x) => x >= 3) && (window as unknown as { __demo: Demo }).__demo.runs() === 3);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.state() === 'paused');
      await page.getByRole('button', { name: 'Share link' }).click(); // a long URL on the page
      await page.evaluate(() => scrollTo(0, 0));
      await controlsInView(page);
      const wide = await page.evaluate(() => Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5).map((e) => `${e.tagName}#${e.id}.${e.className}`));
      expect(wide).toEqual([]);
      // one column, the charts first: under the run controls, above the settings
      const [loss, grad, form] = await page.evaluate(() => ['lossChart', 'gradChart', 'settings'].map((id) => document.getElementById(id)!.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, w: r.width, bottom: r.bottom })));
      expect(grad.y).toBeGreaterThanOrEqual(loss.bottom);
      expect(loss.x).toBe(grad.x);
      expect(loss.w).toBeGreaterThan(300);
      expect(form.y).toBeGreaterThan(grad.bottom);
      await page.screenshot({ path: join(SHOTS, 'demo-en-390.png') });
      await page.evaluate(() => scrollTo(0, 1500));
      await controlsInView(page);
      await page.getByRole('button', { name: '한국어' }).click();
      await page.evaluate(() => scrollTo(0, 0));
      await controlsInView(page);
      await page.screenshot({ path: join(SHOTS, 'demo-ko-390.png') });
      await page.evaluate(() => scrollTo(0, 1500));
      await controlsInView(page);
      await page.getByRole('button', { name: 'English' }).click();
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }
    expect(errors).toEqual([]);
  });

  it('fields show only where they apply: τ for regular, π for randomized (p and min for geometric), k1 and k2 for TBPTT, activation for rnn', async () => {
    await page.locator('#experiment').selectOption('');
    const visible = async () => {
      const names = ['tau', 'pi', 'p', 'min', 'perSequence', 'k1', 'k2', 'activation', 'delay', 'beta1', 'total'];
      const out: string[] = [];
      for (const n of names) if (await page.locator(`[name=${n}]`).isVisible()) out.push(n);
      return out;
    };
    const set = async (name: string, value: string) => page.locator(`select[name=${name}]`).selectOption(value);
    await set('strategy', 'full');
    await set('cell', 'rnn');
    await set('data', 'builtin');
    expect(await visible()).toEqual(['activation', 'beta1']);
    await set('strategy', 'regular');
    expect(await visible()).toEqual(['tau', 'activation', 'beta1']);
    await set('strategy', 'randomized');
    expect(await visible()).toEqual(['pi', 'perSequence', 'activation', 'beta1']);
    await set('piSchedule', 'geometric');
    expect(await visible()).toEqual(['p', 'min', 'perSequence', 'activation', 'beta1']);
    await set('strategy', 'tbptt');
    await set('cell', 'lstm');
    await set('data', 'delay');
    await set('optimizer', 'sgd');
    expect(await visible()).toEqual(['k1', 'k2', 'delay']);
    await page.fill('input[name=schedule]', 'cosine');
    await page.locator('input[name=schedule]').dispatchEvent('change');
    expect(await visible()).toEqual(['k1', 'k2', 'delay', 'total']);
    expect(errors).toEqual([]);
  });

  it('Korean and English: every word of the dictionary has both; the browser\'s language picks Korean; the toggle switches every static word and the experiment\'s text; an experiment\'s link loads its preset', async () => {
    const hangul = /[\uac00-\ud7a3]/;
    // the dictionary: a Korean text for every English one that has words in it (symbols and names may stay as they are)
    for (const [key, { en, ko }] of Object.entries(WORDS)) if (ko !== en && key !== 'langName') expect(ko, key).toMatch(hangul);
    for (const e of EXPERIMENTS) for (const text of [e.title, e.watch, e.chapter, e.limits, ...e.variants.map((v) => v.label)]) expect(text.ko === text.en || hangul.test(text.ko), `${e.id}: ${text.en}`).toBe(true);
    // the browser's language picks Korean
    const ko = await s.browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'ko-KR' });
    try {
      const p = await ko.newPage();
      await p.goto(`${s.base}/?exp=lstm`);
      await p.waitForFunction(() => document.documentElement.lang === 'ko' && document.getElementById('lessonText')!.textContent !== '');
      expect(await p.locator('#train').textContent()).toBe('학습');
      expect(await p.locator('#lessonText h2').textContent()).toBe(EXPERIMENTS.find((e) => e.id === 'lstm')!.title.ko);
    } finally {
      await ko.close();
    }
    // the experiment's link: ?exp= loads its preset, other parameters override it; the toggle switches every word
    await page.evaluate(() => (window as unknown as { __demo: { load(q: string): Promise<void> } }).__demo.load('exp=lstm&hidden=24'));
    const p = page;
    expect(await p.locator('#experiment').inputValue()).toBe('lstm');
    expect(await p.locator('input[name=delay]').inputValue()).toBe('12');
    expect(await p.locator('input[name=forgetBias]').inputValue()).toBe('1');
    expect(await p.locator('input[name=hidden]').inputValue()).toBe('24');
    await p.getByRole('button', { name: '한국어' }).click();
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('ko');
    // every static word is the Korean one
    const shown = await p.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('[data-i18n]')).map((e) => [e.dataset.i18n!, e.textContent!]));
    for (const [key, text] of shown) expect(text, key).toBe(WORDS[key as keyof typeof WORDS].ko);
    const exp = EXPERIMENTS.find((e) => e.id === 'lstm')!;
    expect(await p.locator('#lessonText h2').textContent()).toBe(exp.title.ko);
    expect(await p.locator('#lessonText p.watch').textContent()).toContain(exp.watch.ko);
    expect(await p.locator('#device').textContent()).toMatch(/^장치: /);
    await p.getByRole('button', { name: '링크 공유' }).click();
    const link = new URL((await p.locator('#link').textContent())!);
    expect([link.searchParams.get('exp'), link.searchParams.get('lang'), link.searchParams.get('hidden'), link.searchParams.get('forgetBias')]).toEqual(['lstm', 'ko', '24', '1']);
    await p.getByRole('button', { name: '비교', exact: true }).click();
    await p.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.measured().every((x) => x >= 6) && (window as unknown as { __demo: Demo }).__demo.runs() === 2);
    await p.getByRole('button', { name: '일시정지' }).click();
    await p.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.state() === 'paused');
    expect(await p.getByRole('status').textContent()).toMatch(hangul);
    expect(await demo(p, (d) => d.labels())).toEqual(exp.variants.map((v) => v.label.ko));
    expect(await demo(p, (d) => d.drawn('lossChart'))).toEqual(exp.variants.map((v) => `${v.label.ko} 손실`));
    await p.screenshot({ path: join(SHOTS, 'demo-ko-1400.png') });
    // back to English, everything with it
    await p.getByRole('button', { name: 'English' }).click();
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await p.locator('#train').textContent()).toBe('Train');
    expect(await p.locator('#lessonText h2').textContent()).toBe(exp.title.en);
    expect(await demo(p, (d) => d.labels())).toEqual(exp.variants.map((v) => v.label.en));
    expect(await demo(p, (d) => d.drawn('lossChart'))).toEqual(exp.variants.map((v) => `${v.label.en} loss`));
    await p.screenshot({ path: join(SHOTS, 'demo-en-1400.png') });
    expect(errors).toEqual([]);
  });
});
