// The study (npm run study) in its tiny mode on the real WebGPU device: the
// report's structure, finite and consistent numbers (full's bias is 0,
// randomized with π = 1 is full, error = bias² + variance), its gradients
// against the float64 references, and the bias/variance arithmetic on a case
// worked by hand. No wall-clock assertions.
import { describe, it, expect, beforeAll } from 'vitest';
import { gpu, relErr } from './gpu';
import { runStudy, type StudyResult } from '../study/study';
import { renderFigures, toMarkdown } from '../study/report';
import { sampleGradients, gradientStats } from '../study/gradients';
import { TINY, checkOptions, optionsFromArgs } from '../study/options';
import { studyStrategies, fullStrategy } from '../study/strategies';
import { BUILTIN_CORPUS } from '../src/data/builtin';
import { makeCorpus } from '../src/data/text';
import { charLmConfig } from '../src/model/config';
import { initWeights, paramShapes } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { epochBatches } from '../src/data/partition';
import { referenceForwardBackward } from '../src/reference/rnn64';
import { referenceCells } from '../src/reference/cells64';
import { regular } from '../src/engine/truncation';
import { parseArgs } from '../src/cli/args';
import { BpttError } from '../src/errors';

describe('npm run study --tiny', () => {
  let r: StudyResult;
  let md: string;
  let figures: Record<string, string>;
  beforeAll(async () => {
    const device = await gpu();
    r = await runStudy(device, { name: 'built-in', text: BUILTIN_CORPUS }, TINY);
    figures = await renderFigures(r);
    md = toMarkdown(r, { command: 'npm run study -- --tiny', commit: 'test', date: '2026-01-01' }, (n) => `figures/${n}`);
  }, 300_000);

  const labels = ['full', 'regular(4)', 'randomized(0.75)', 'TBPTT(1, 4)', 'TBPTT(2, 4)'];

  it('trains every strategy and reports finite perplexities', () => {
    expect(r.lm.summary.map((s) => s.label)).toEqual(labels);
    expect(r.lm.runs).toHaveLength(labels.length * TINY.seeds);
    for (const s of r.lm.summary) {
      expect(s.curve.length).toBeGreaterThan(0);
      expect(s.curve.map((p) => p.step)).toEqual(s.curve.map((_, i) => (i + 1) * Math.max(1, Math.round(TINY.steps / 24))));
      for (const p of s.curve) {
        expect(Number.isFinite(p.perplexity) && p.perplexity > 1).toBe(true);
        expect(Number.isFinite(p.seconds) && p.seconds >= 0).toBe(true);
      }
      expect(Number.isFinite(s.heldOut) && s.heldOut > 1).toBe(true);
      expect(s.skipped).toBe(0);
    }
    // TBPTT(1, 4) runs ⌈4 / 1⌉ gradient streams, TBPTT(2, 4) two, the others one
    expect(r.lm.summary.map((s) => s.streams)).toEqual([1, 1, 1, 4, 2]);
  });

  it('measures bias and variance consistently: full is 0, π = 1 is full, error = bias² + variance·(D − 1)/D', () => {
    const by = new Map(r.gradients.strategies.map((g) => [g.label, g]));
    expect([...by.keys()]).toEqual([...labels, 'randomized(0.75) per sequence']);
    const f = by.get('full')!;
    expect([f.bias, f.variance, f.error, f.draws]).toEqual([0, 0, 0, 1]);
    expect(f.cosine).toBeCloseTo(1, 12);
    for (const g of r.gradients.strategies) {
      for (const v of [g.bias, g.variance, g.error, g.relBias, g.relVariance, g.relError, g.cosine]) expect(Number.isFinite(v)).toBe(true);
      expect(g.tailShare).toBeGreaterThanOrEqual(0);
      expect(g.tailShare).toBeLessThanOrEqual(1);
      const D = g.draws;
      expect(g.error).toBeCloseTo(g.bias ** 2 + (g.variance * (D - 1)) / D, 12);
      if (g.label.startsWith('randomized')) {
        expect(D).toBe(TINY.draws);
        expect(g.variance).toBeGreaterThan(0);
      } else {
        expect(D).toBe(1);
        expect(g.variance).toBe(0);
      }
    }
    // a cut link changes the gradient
    for (const l of ['regular(4)', 'TBPTT(1, 4)', 'TBPTT(2, 4)']) expect(by.get(l)!.relBias).toBeGreaterThan(1e-4);
    // randomized truncation with π = 1 never cuts: it is full BPTT, bit for bit, shared or per sequence
    const one = r.gradients.sweep.filter((s) => s.pi === 1);
    expect(one.map((s) => s.form)).toEqual(['shared', 'per sequence']);
    for (const s of one) expect([s.bias, s.variance, s.error]).toEqual([0, 0, 0]);
    const half = r.gradients.sweep.filter((s) => s.pi === 0.5);
    for (const s of half) expect(s.variance).toBeGreaterThan(0);
  });

  it('measures the delay task for every lag and strategy', () => {
    expect(r.delay.runs).toHaveLength(TINY.lags.length * labels.length * TINY.seeds);
    expect(r.delay.chance).toBe(1 / 8);
    const n = TINY.evalWindows * TINY.delayBatch * TINY.delayWindow;
    for (const d of r.delay.runs) {
      expect(TINY.lags).toContain(d.lag);
      expect(d.accuracy).toBeGreaterThanOrEqual(0);
      expect(d.accuracy).toBeLessThanOrEqual(1);
      expect(Math.abs(d.accuracy * n - Math.round(d.accuracy * n))).toBeLessThan(1e-9);
      expect(Number.isFinite(d.finalLoss)).toBe(true);
    }
  });

  it('shows forward mode equal to reverse mode, and the GPU equal to both', () => {
    expect(r.forwardMode.rows).toHaveLength(4);
    for (const row of r.forwardMode.rows) {
      expect(row.maxRel).toBeLessThan(1e-12);
      expect(row.gpuRel).toBeLessThan(1e-4);
      expect(row.maxGrad).toBeGreaterThan(0);
    }
  });

  it('writes a report with every section, table and figure', () => {
    for (const h of ['## Run', '## Perplexity against steps and wall time', '## The gradient against the full-window gradient', '### Per-sequence ξ against shared ξ at equal π', '## The delay task: accuracy against lag k', '## Forward mode = reverse mode']) {
      expect(md).toContain(h);
    }
    expect(Object.keys(figures).sort()).toEqual(['delay-accuracy.svg', 'gradient-bias-variance.svg', 'perplexity-steps.svg', 'perplexity-time.svg', 'perplexity-vs-full.svg', 'xi-shared-vs-per-sequence.svg']);
    for (const [name, svg] of Object.entries(figures)) {
      expect(md).toContain(`(figures/${name})`);
      expect(svg.startsWith('<svg')).toBe(true);
    }
    expect(figures['perplexity-steps.svg']).toContain('training step');
    expect(figures['delay-accuracy.svg']).toContain('lag k');
    for (const l of labels) {
      expect(md).toContain(`| ${l} |`);
      expect(figures['perplexity-time.svg']).toContain(l);
    }
    expect(md).toContain('`npm run study -- --tiny`');
    expect(md).not.toMatch(/NaN|undefined/);
  });
});

describe('the study gradients', () => {
  it('equal the float64 references (full, regular, TBPTT) on the GPU', async () => {
    const device = await gpu();
    const corpus = makeCorpus(BUILTIN_CORPUS);
    const V = corpus.vocab.size, B = 3, T = 8;
    const config = charLmConfig(V, 7);
    const w = initWeights(config, createRng(4));
    const mb = epochBatches(corpus.ids, B, T, 'sequential', createRng(2))[1];
    const batch = { B, T, tokens: Array.from(mb.tokens), targets: Array.from(mb.targets) };
    const all = studyStrategies({ ...TINY, window: T });
    const [s0, s1, s2] = ['full', 'regular', 'tbptt'].map((k) => all.find((s) => s.spec.kind === k)!);
    const flat = (g: Record<string, ArrayLike<number>>) => paramShapes(config).flatMap(([n]) => Array.from(g[n]));
    const cases: [typeof s0, Record<string, ArrayLike<number>>][] = [
      [s0, referenceForwardBackward(config, w, batch).grads],
      [s1, referenceForwardBackward(config, w, batch, { xi: regular(TINY.tau).multipliers(T) }).grads],
      [s2, referenceCells(config, w, batch, { tbptt: { k1: 1, k2: TINY.tau } }).grads],
    ];
    for (const [s, ref] of cases) {
      const [g] = await sampleGradients(device, config, w, mb, s, 4, 0);
      expect(relErr(g, flat(ref)), s.label).toBeLessThan(1e-4);
    }
    const [gFull] = await sampleGradients(device, config, w, mb, fullStrategy(), 1, 0);
    expect(gFull).toHaveLength(flat(cases[0][1]).length);
  });

  it('bias, variance and error of a case worked by hand', () => {
    // g_full = (0, 0); draws (1, 0) and (−1, 2): mean (0, 1); bias 1;
    // variance (‖(1, −1)‖² + ‖(−1, 1)‖²) / (2 − 1) = 4; error (1 + 5) / 2 = 3
    const s = gradientStats('x', [Float64Array.of(1, 0), Float64Array.of(-1, 2)], Float64Array.of(0, 0));
    expect([s.bias, s.variance, s.error, s.draws]).toEqual([1, 4, 3, 2]);
    const t = gradientStats('y', [Float64Array.of(1, 1), Float64Array.of(-1, 1)], Float64Array.of(0, 2));
    // mean (0, 1): bias 1, variance (1 + 1) / 1 = 2, error (2 + 2) / 2 = 2, cos 1, relative to ‖g_full‖ = 2
    expect([t.bias, t.variance, t.error, t.cosine, t.relBias, t.relVariance, t.relError]).toEqual([1, 2, 2, 1, 0.5, 0.5, 0.5]);
    expect(t.noiseFloor).toBeCloseTo(1, 12);
    // squared errors 2 and 2: the largest draw (⌈2/20⌉ = 1) carries half
    expect(t.tailShare).toBe(0.5);
    expect(s.tailShare).toBeCloseTo(5 / 6, 12);
  });
});

describe('study options', () => {
  it('reads flags over the defaults and names bad ones', () => {
    const { options, corpus, out } = optionsFromArgs(parseArgs(['--steps', '50', '--tau', '5', '--lags', '3,6', '--corpus', 'x.txt', '--out', 'o.md']));
    expect([options.steps, options.tau, options.pi, options.lags, corpus, out]).toEqual([50, 5, 0.8, [3, 6], 'x.txt', 'o.md']);
    const bad: [string[], string][] = [
      [['--tau', '99'], '--tau'],
      [['--lags', '3,x'], '--lags'],
      [['--k1', '5', '--k2', '4'], '--k2'],
      [['--draws', '1'], '--draws'],
      [['--bogus', '1'], '--bogus'],
    ];
    for (const [argv, field] of bad) {
      let err: unknown;
      try {
        optionsFromArgs(parseArgs(argv));
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(BpttError);
      expect((err as BpttError).field).toBe(field);
    }
    expect(() => checkOptions({ ...TINY, piSweep: [0] })).toThrow(BpttError);
  });
});
