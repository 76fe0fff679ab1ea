// Learning-rate schedules: lrAt against hand-computed rates, the checks and
// the text form, then the rate the GPU applies, step by step, against lrAt —
// all steps in one submission (so every one is in flight together), with
// skipped steps that must not advance the schedule — and the trainer's
// StepStats.lr with several steps in flight.
import { describe, it, expect, afterAll } from 'vitest';
import { gpu } from './gpu';
import { lrAt, lrScheduleFrom, lrScheduleFromText, type LrScheduleSpec } from '../src/util/schedule';
import { createClipUpdate, STATS } from '../src/kernels/clip-update';
import { BufferArena, STORAGE, COPY_DST, COPY_SRC, MAP_READ, liveMemory } from '../src/gpu/buffers';
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { BpttError } from '../src/errors';

describe('lrAt (float64)', () => {
  it('constant, with and without warm-up', () => {
    expect([0, 1, 100].map((s) => lrAt({ kind: 'constant' }, 0.3, s))).toEqual([0.3, 0.3, 0.3]);
    // warm-up 4 from 0: 0, 0.25, 0.5, 0.75 of the rate, then the rate
    const w = [0, 1, 2, 3, 4, 9].map((s) => lrAt({ kind: 'constant', warmup: 4 }, 2, s));
    expect(w).toEqual([0, 0.5, 1, 1.5, 2, 2]);
  });
  it('step: gamma every `every` updates after the warm-up', () => {
    const spec: LrScheduleSpec = { kind: 'step', every: 3, gamma: 0.5, warmup: 2 };
    const got = Array.from({ length: 12 }, (_, s) => lrAt(spec, 0.8, s));
    expect(got).toEqual([0, 0.4, 0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]);
  });
  it('cosine: from the rate to min over total − warmup updates, then min', () => {
    const spec: LrScheduleSpec = { kind: 'cosine', total: 10, min: 0.1, warmup: 2 };
    // span 8: u = 0 → 1, u = 4 → ½(1 + cos(π/2)) = ½, u = 8 → 0 (of lr − min), u = 2 → ½(1 + √½)
    expect(lrAt(spec, 1.1, 0)).toBe(0);
    expect(lrAt(spec, 1.1, 1)).toBeCloseTo(0.55, 15);
    expect(lrAt(spec, 1.1, 2)).toBeCloseTo(1.1, 15);
    expect(lrAt(spec, 1.1, 4)).toBeCloseTo(0.1 + 1.0 * 0.5 * (1 + Math.SQRT1_2), 15);
    expect(lrAt(spec, 1.1, 6)).toBeCloseTo(0.6, 15);
    expect(lrAt(spec, 1.1, 10)).toBeCloseTo(0.1, 15);
    expect(lrAt(spec, 1.1, 1000)).toBeCloseTo(0.1, 15);
  });
});

describe('lrScheduleFrom / lrScheduleFromText', () => {
  const bad: [unknown, RegExp][] = [
    [{ kind: 'linear' }, /lrSchedule\.kind = "linear": must be one of/],
    [{ kind: 'step', every: 0, gamma: 0.5 }, /lrSchedule\.every = 0: must be an integer in \[1, /],
    [{ kind: 'step', every: 2, gamma: 0 }, /lrSchedule\.gamma = 0: must be a number in \(0, 1\]/],
    [{ kind: 'step', every: 2, gamma: 1.5 }, /lrSchedule\.gamma = 1\.5/],
    [{ kind: 'cosine', total: 5, warmup: 5 }, /lrSchedule\.total = 5: must be greater than warmup = 5/],
    [{ kind: 'cosine', total: 5, min: -1 }, /lrSchedule\.min = -1: must be ≥ 0/],
    [{ kind: 'constant', warmup: 1.5 }, /lrSchedule\.warmup = 1\.5/],
    [{ kind: 'constant', every: 3 }, /lrSchedule\.every = present: is not a field of a "constant" schedule/],
  ];
  for (const [spec, msg] of bad) {
    it(`refuses ${JSON.stringify(spec)}`, () => {
      expect(() => lrScheduleFrom(spec as LrScheduleSpec)).toThrow(BpttError);
      expect(() => lrScheduleFrom(spec as LrScheduleSpec)).toThrow(msg);
    });
  }
  it('parses the text forms', () => {
    expect(lrScheduleFromText('constant')).toEqual({ kind: 'constant', warmup: 0 });
    expect(lrScheduleFromText('step:100:0.5', { warmup: 10 })).toEqual({ kind: 'step', every: 100, gamma: 0.5, warmup: 10 });
    expect(lrScheduleFromText('cosine', { total: 300 })).toEqual({ kind: 'cosine', total: 300, min: 0, warmup: 0 });
    expect(lrScheduleFromText('cosine:0.001', { total: 300, warmup: 3 })).toEqual({ kind: 'cosine', total: 300, min: 0.001, warmup: 3 });
    for (const [text, msg] of [
      ['linear', /--lr-schedule = "linear": must be constant, step:EVERY:GAMMA/],
      ['step:10', /--lr-schedule = "step:10": must be constant/],
      ['step:x:0.5', /--lr-schedule = "step:x:0\.5": EVERY is not a number/],
      ['step:10:2', /--lr-schedule\.gamma = 2: must be a number in \(0, 1\]/],
      ['cosine:abc', /MIN is not a number/],
    ] as const) {
      expect(() => lrScheduleFromText(text, { total: 100 })).toThrow(msg);
    }
  });
});

// The kernel alone: P is cleared before each step and G is fixed, so after the
// step P = −lr_s · G exactly up to f32 rounding: the applied rate is −P / G.
describe('clip_update.wgsl: the applied rate of every step equals lrAt', () => {
  const arenas: BufferArena[] = [];
  afterAll(() => arenas.forEach((a) => a.destroy()));
  const specs: LrScheduleSpec[] = [
    { kind: 'constant', warmup: 3 },
    { kind: 'step', every: 4, gamma: 0.7, warmup: 2 },
    { kind: 'cosine', total: 25, min: 0.002, warmup: 5 },
    { kind: 'cosine', total: 13 },
  ];
  for (const spec of specs) {
    it(JSON.stringify(spec), async () => {
      const device = await gpu();
      const arena = new BufferArena(device, 'schedule-test');
      arenas.push(arena);
      const n = 64, steps = 30, base = 0.05;
      const skip = new Set([4, 11, 12, 29]); // non-finite loss at these calls
      const G = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1) * (0.5 + i / n));
      const grads = arena.createWith('G', G, STORAGE | COPY_DST);
      const params = arena.create('P', n * 4, STORAGE | COPY_DST | COPY_SRC);
      const stats = arena.create('stats', STATS.byteSize, STORAGE | COPY_DST | COPY_SRC);
      const s1 = arena.create('s1', 16, STORAGE), s2 = arena.create('s2', 16, STORAGE);
      const finite = arena.createWith('loss1', new Float32Array([1.5, 2]), COPY_SRC); // loss, Σg²
      const nan = arena.createWith('lossNaN', new Float32Array([NaN, 2]), COPY_SRC);
      const rowBytes = n * 4 + STATS.byteSize;
      const out = arena.create('out', steps * rowBytes, MAP_READ | COPY_DST);
      const k = createClipUpdate(device, 'sgd');
      const bound = k.bind({ stats, params, grads, s1, s2 }, { n, lr: base, clip: 0, schedule: spec });
      const enc = device.createCommandEncoder();
      for (let c = 0; c < steps; c++) {
        enc.clearBuffer(params);
        enc.copyBufferToBuffer(skip.has(c) ? nan : finite, 0, stats, 0, 8);
        const pass = enc.beginComputePass();
        k.encode(pass, bound);
        pass.end();
        enc.copyBufferToBuffer(params, 0, out, c * rowBytes, n * 4);
        enc.copyBufferToBuffer(stats, 0, out, c * rowBytes + n * 4, STATS.byteSize);
      }
      device.queue.submit([enc.finish()]);
      await out.mapAsync(GPUMapMode.READ);
      const all = out.getMappedRange().slice(0);
      out.unmap();
      bound.destroy();
      let applied = 0, worst = 0;
      const rates: string[] = [];
      for (let c = 0; c < steps; c++) {
        const P = new Float32Array(all, c * rowBytes, n);
        const s = STATS.decode(all.slice(c * rowBytes + n * 4, (c + 1) * rowBytes));
        const want = lrAt(spec, base, applied);
        expect(s.skipped).toBe(skip.has(c));
        // the rate reported for the step (a skipped step: the rate it would have applied)
        worst = Math.max(worst, Math.abs(s.lr - want) / base);
        if (skip.has(c)) {
          expect(Array.from(P).every((p) => p === 0)).toBe(true);
          continue;
        }
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(-P[i] / G[i] - want) / base);
        rates.push(want.toPrecision(3));
        applied++;
        expect(s.step).toBe(applied);
      }
      console.log(`${spec.kind}: ${applied} updates, rates ${rates.join(' ')}; max |GPU rate − lrAt| / lr = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(2e-6);
    });
  }
});

describe('Trainer.lrSchedule', () => {
  it('StepStats.lr of each step (3 in flight) is lrAt of its update', async () => {
    const device = await gpu();
    const spec: LrScheduleSpec = { kind: 'step', every: 2, gamma: 0.5, warmup: 2 };
    const V = 5, B = 2, T = 3, lr = 0.4;
    const t = new Trainer(device, { config: charLmConfig(V, 8), batch: B, steps: T, optimizer: { kind: 'sgd', lr }, lrSchedule: spec, clip: null, inflight: 3 });
    try {
      const mb = { tokens: [0, 1, 2, 3, 4, 0], targets: [1, 2, 3, 4, 0, 1] };
      const handles = [];
      for (let i = 0; i < 9; i++) handles.push(await t.step(mb)); // submitted without waiting for the numbers
      const stats = await Promise.all(handles.map((h) => h.stats));
      const got = stats.map((s) => s.lr);
      const want = stats.map((s) => lrAt(spec, lr, s.step - 1));
      console.log(`trainer rates ${got.map((x) => x.toPrecision(3)).join(' ')}`);
      expect(stats.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(want).toEqual([0, 0.2, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05]);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-7);
    } finally {
      t.destroy();
    }
  });
  it('a bad schedule is a BpttError before any GPU work', async () => {
    const device = await gpu();
    const before = liveMemory(device);
    const make = (lrSchedule: LrScheduleSpec, lr = 0.1) => () => new Trainer(device, { config: charLmConfig(5, 8), batch: 2, steps: 3, optimizer: { kind: 'adam', lr }, lrSchedule });
    expect(make({ kind: 'step', every: 3, gamma: 0 })).toThrow(/lrSchedule\.gamma = 0/);
    expect(make({ kind: 'cosine', total: 10, min: 0.5 })).toThrow(/lrSchedule\.min = 0\.5: must be ≤ optimizer\.lr = 0\.1/);
    expect(liveMemory(device)).toEqual(before);
  });
});
