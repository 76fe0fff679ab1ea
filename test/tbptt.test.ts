// TBPTT(k1, k2) and per-sequence ξ on the GPU. The equivalences the
// definitions promise hold bit for bit (TBPTT(τ, τ) = regular(τ), k2 ≥ T + k1
// = full), and the general case matches an independent float64 construction
// from the chapter's reference: the losses of block m, alone, with the link
// into h_{j_m} cut (as a difference of two reference runs, since the
// gradient is linear in the losses).
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { BpttEngine } from '../src/engine/bptt';
import { full, regular, randomized, tbptt, truncationFromText, lossReach, xiAt, type Truncation } from '../src/engine/truncation';
import { initWeights, paramShapes, type Weights } from '../src/model/params';
import type { RnnConfig } from '../src/model/config';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward, type Batch } from '../src/reference/rnn64';

async function gpuGrads(c: RnnConfig, w: Weights, batch: Batch, t: Truncation, chunk?: number, seed = 5) {
  const device = await gpu();
  const plan = t.plan(batch.T, batch.B, createRng(seed));
  const eng = new BpttEngine(device, { config: c, batch: batch.B, steps: batch.T, streams: plan.streams, chunk });
  try {
    eng.writeWeights(w);
    eng.writeBatch(batch);
    eng.writeXi(plan);
    eng.writeH0();
    eng.run();
    return { grads: await eng.readGradients(), loss: await eng.readLoss(), plan };
  } finally {
    eng.destroy();
  }
}

const names = (c: RnnConfig) => paramShapes(c).map(([n]) => n);

/** The batch's rows for steps [0, T'). */
function prefix(batch: Batch, T: number): Batch {
  const n = T * batch.B;
  return { B: batch.B, T, tokens: Array.from(batch.tokens!).slice(0, n), targets: Array.from(batch.targets!).slice(0, n) };
}

/** TBPTT(k1, k2) by its definition, from the chapter's float64 reference alone. */
function tbpttReference(c: RnnConfig, w: Weights, batch: Batch, k1: number, k2: number): Record<string, Float64Array> {
  const { B, T } = batch, scale = 1 / (B * T);
  const total: Record<string, Float64Array> = {};
  for (const [n, r, k] of paramShapes(c)) total[n] = new Float64Array(r * k);
  for (let m = 0; m * k1 < T; m++) {
    const lo = m * k1, hi = Math.min(T, (m + 1) * k1), j = (m + 1) * k1 - k2;
    const xi = Array.from({ length: hi }, (_, t) => (j > 0 && t === j ? 0 : 1));
    // losses [0, hi) minus losses [0, lo), both with the cut at j: the block's losses alone
    const a = referenceForwardBackward(c, w, prefix(batch, hi), { xi, scale }).grads;
    const b = lo > 0 ? referenceForwardBackward(c, w, prefix(batch, lo), { xi: xi.slice(0, lo), scale }).grads : undefined;
    for (const n of names(c)) for (let i = 0; i < total[n].length; i++) total[n][i] += a[n][i] - (b ? b[n][i] : 0);
  }
  return total;
}

describe('TBPTT(k1, k2)', () => {
  it('plans: TBPTT(τ, τ) is regular(τ), k2 ≥ T + k1 is full, and each loss reaches back to its j', () => {
    const T = 10, B = 3;
    expect(Array.from(tbptt(3, 3).plan(T, B).data)).toEqual(Array.from(regular(3).plan(T, B).data));
    expect(Array.from(tbptt(2, T + 2).plan(T, B).data)).toEqual(Array.from(full().plan(T, B).data));
    for (const [k1, k2] of [[1, 3], [2, 5], [3, 4], [4, 9]]) {
      const p = tbptt(k1, k2).plan(T, B);
      expect(p.streams).toBe(Math.min(Math.ceil(k2 / k1), Math.ceil(T / k1)));
      const want = Array.from({ length: T }, (_, t) => Math.max(0, (Math.floor(t / k1) + 1) * k1 - k2));
      expect(Array.from(lossReach(p, 1)), `tbptt(${k1}, ${k2})`).toEqual(want);
      // every loss is carried by exactly one stream
      for (let t = 0; t < T; t++) {
        let n = 0;
        for (let s = 0; s < p.streams; s++) n += p.data[s * (T + T * B) + t];
        expect(n).toBe(1);
      }
    }
  });

  it('refuses k2 < k1 and parses its text form', () => {
    expect(() => tbptt(3, 2)).toThrow(/truncation\.k2 = 2: must be ≥ k1 = 3/);
    expect(() => tbptt(0, 2)).toThrow(/truncation\.k1 = 0/);
    expect(truncationFromText('tbptt:2:5').describe).toBe('tbptt(k1=2, k2=5)');
    expect(() => truncationFromText('tbptt:2')).toThrow(/"tbptt" takes 2 value/);
  });

  it('on the GPU: TBPTT(τ, τ) equals regular(τ) and TBPTT(k1, T + k1) equals full, bit for bit', async () => {
    const c = makeConfig({ hidden: 11 });
    const w = initWeights(c, createRng(3));
    const batch = makeBatch(c, 3, 8, 4);
    const [a, b] = [await gpuGrads(c, w, batch, tbptt(3, 3)), await gpuGrads(c, w, batch, regular(3))];
    const [f, g] = [await gpuGrads(c, w, batch, tbptt(2, 10)), await gpuGrads(c, w, batch, full())];
    for (const n of names(c)) {
      expect(Array.from(a.grads[n]), n).toEqual(Array.from(b.grads[n]));
      expect(Array.from(f.grads[n]), n).toEqual(Array.from(g.grads[n]));
    }
  });

  const cases: [string, number, number, number, number | undefined][] = [
    ['k1 = 1', 1, 3, 7, undefined],
    ['T not a multiple of k1', 2, 5, 7, undefined],
    ['k2 ≥ T', 3, 8, 7, undefined],
    ['a chunked window', 2, 5, 9, 4],
    ['k1 = 1, chunked', 1, 4, 9, 3],
  ];
  for (const [label, k1, k2, T, chunk] of cases) {
    it(`on the GPU vs the definition in float64: TBPTT(${k1}, ${k2}), T = ${T}, ${label}`, async () => {
      const c = makeConfig({ hidden: 10 });
      const w = initWeights(c, createRng(7));
      const batch = makeBatch(c, 2, T, 8);
      const got = await gpuGrads(c, w, batch, tbptt(k1, k2), chunk);
      const want = tbpttReference(c, w, batch, k1, k2);
      const errs = names(c).map((n) => relErr(got.grads[n], want[n]));
      console.log(`tbptt(${k1}, ${k2}) T=${T} chunk=${chunk ?? T} streams=${got.plan.streams}: max rel err ${Math.max(...errs).toExponential(2)}`);
      for (const [i, n] of names(c).entries()) expect(errs[i], n).toBeLessThan(1e-5);
    });
  }
});

describe('per-sequence ξ', () => {
  it('on the GPU equals the sum of each sequence run alone with its own ξ (float64)', async () => {
    const c = makeConfig({ hidden: 9 });
    const w = initWeights(c, createRng(2));
    const B = 3, T = 8;
    const batch = makeBatch(c, B, T, 6);
    const t = randomized(0.5, { perSequence: true });
    const got = await gpuGrads(c, w, batch, t, undefined, 11);
    const p = got.plan;
    const want: Record<string, Float64Array> = {};
    for (const [n, r, k] of paramShapes(c)) want[n] = new Float64Array(r * k);
    let distinct = false;
    for (let b = 0; b < B; b++) {
      const xi = Array.from({ length: T }, (_, s) => xiAt(p, 0, s, b));
      distinct ||= xi.some((v, s) => v !== xiAt(p, 0, s, 0));
      const one: Batch = { B: 1, T, tokens: Array.from({ length: T }, (_, s) => batch.tokens![s * B + b]), targets: Array.from({ length: T }, (_, s) => batch.targets![s * B + b]) };
      const g = referenceForwardBackward(c, w, one, { xi, scale: 1 / (B * T) }).grads;
      for (const n of names(c)) for (let i = 0; i < want[n].length; i++) want[n][i] += g[n][i];
    }
    expect(distinct, 'the sequences drew different ξ').toBe(true);
    for (const n of names(c)) expect(relErr(got.grads[n], want[n]), n).toBeLessThan(1e-5);
  });

  it('draws are unbiased per sequence: E[ξ] ≈ 1 and P(ξ = 0) ≈ 1 − π over many draws', () => {
    const t = randomized(0.25, { perSequence: true });
    const rng = createRng(3);
    let sum = 0, zeros = 0, n = 0;
    for (let i = 0; i < 400; i++) {
      const p = t.plan(10, 8, rng);
      for (let s = 0; s < 10; s++) {
        for (let b = 0; b < 8; b++) {
          const v = xiAt(p, 0, s, b);
          sum += v;
          zeros += v === 0 ? 1 : 0;
          n++;
        }
      }
    }
    expect(Math.abs(sum / n - 1)).toBeLessThan(0.05);
    expect(Math.abs(zeros / n - 0.75)).toBeLessThan(0.02);
  });

  it('geometric schedule: no cut within min steps of the last, unbiased', () => {
    const t = truncationFromText('geometric:0.3:4');
    const rng = createRng(8);
    let sum = 0, n = 0;
    for (let i = 0; i < 2000; i++) {
      const xi = t.multipliers(40, rng);
      let since = 0;
      for (let s = 0; s < 40; s++) {
        if (xi[s] === 0) {
          expect(since).toBeGreaterThanOrEqual(4);
          since = 0;
        } else since++;
        sum += xi[s];
        n++;
      }
    }
    expect(Math.abs(sum / n - 1)).toBeLessThan(0.03);
  });
});
