// The whole step on a real device against the float64 reference: gradients
// for every truncation strategy and activation, truncation semantics, and the
// update with clipping for each optimizer.
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { BpttEngine } from '../src/engine/bptt';
import { Trainer } from '../src/engine/trainer';
import { full, regular, randomized, explicit, type Truncation } from '../src/engine/truncation';
import { initWeights, paramShapes, type Weights } from '../src/model/params';
import type { RnnConfig } from '../src/model/config';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward, toFloat64, type Batch } from '../src/reference/rnn64';
import { clipUpdate64 } from '../src/reference/kernels64';

async function gpuGrads(c: RnnConfig, w: Weights, batch: Batch, xi: Float32Array, h0?: number[]) {
  const device = await gpu();
  const eng = new BpttEngine(device, { config: c, batch: batch.B, steps: batch.T });
  try {
    eng.writeWeights(w);
    eng.writeBatch(batch);
    eng.writeXi(xi);
    eng.writeH0(h0);
    eng.run();
    return { grads: await eng.readGradients(), loss: await eng.readLoss(), hLast: await eng.readLastState() };
  } finally {
    eng.destroy();
  }
}

function compare(label: string, c: RnnConfig, got: Weights, want: Weights<Float64Array>, tol = 1e-4) {
  const errs: string[] = [];
  for (const [name] of paramShapes(c)) {
    const e = relErr(got[name]!, want[name]!);
    errs.push(`${name} ${e.toExponential(1)}`);
    expect(e, `${label} ${name}`).toBeLessThan(tol);
  }
  console.log(`${label.padEnd(44)} ${errs.join('  ')}`);
}

describe('whole forward + backward: every strategy × activation vs float64', () => {
  const B = 2, T = 7;
  const strategies: [string, Truncation][] = [
    ['full', full()],
    ['regular(3)', regular(3)],
    ['randomized(0.5)', randomized(0.5)],
    ['explicit', explicit([1, 0.5, 2, 0, 1, 3, 1])],
  ];
  for (const activation of ['tanh', 'identity', 'relu'] as const) {
    for (const bias of activation === 'identity' ? [false, true] : [true]) {
      for (const [sname, strategy] of strategies) {
        it(`${activation} bias=${bias} ${sname}`, async () => {
          const c = makeConfig({ activation, bias, hidden: 9 });
          const w = initWeights(c, createRng(3));
          const batch = makeBatch(c, B, T, 4);
          const xi = strategy.multipliers(T, createRng(99));
          const h0 = Array.from({ length: B * c.hidden }, (_, i) => Math.sin(i));
          const got = await gpuGrads(c, w, batch, xi, h0);
          const ref = referenceForwardBackward(c, w, batch, { xi, h0 });
          compare(`${activation} bias=${bias} ${sname}`, c, got.grads, ref.grads);
          expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
        });
      }
    }
  }
  it('tanh bias=true full, h0 omitted (zeros), B = 3, T = 5, H = 13', async () => {
    // (was test/engine.test.ts)
    const c = makeConfig({ hidden: 13 });
    const w = initWeights(c, createRng(1));
    const batch = makeBatch(c, 3, 5, 2);
    const got = await gpuGrads(c, w, batch, new Float32Array(5).fill(1));
    const ref = referenceForwardBackward(c, w, batch);
    compare('tanh bias=true full h0 = 0 (B=3 T=5 H=13)', c, got.grads, ref.grads);
    expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
  });
  it('dense input, mse loss, H = 130 (above 128)', async () => {
    const c = makeConfig({ input: 'dense', inputSize: 5, hidden: 130, outputSize: 3, loss: 'mse' });
    const w = initWeights(c, createRng(5));
    const batch = makeBatch(c, 3, 4, 6);
    const xi = regular(2).multipliers(4);
    const got = await gpuGrads(c, w, batch, xi);
    compare('dense mse H=130 regular(2)', c, got.grads, referenceForwardBackward(c, w, batch, { xi }).grads);
  });
  it('B = 1, T = 1', async () => {
    const c = makeConfig({ hidden: 5 });
    const w = initWeights(c, createRng(8));
    const batch = makeBatch(c, 1, 1, 9);
    const got = await gpuGrads(c, w, batch, new Float32Array([1]));
    compare('B=1 T=1', c, got.grads, referenceForwardBackward(c, w, batch).grads);
  });
});

describe('truncation semantics', () => {
  it('regular(τ) equals the sum of independent windows (reference and GPU)', async () => {
    const c = makeConfig({ hidden: 6 });
    const B = 2, T = 8, tau = 3;
    const w = toFloat64(c, initWeights(c, createRng(12)));
    const batch = makeBatch(c, B, T, 13);
    const trunc = referenceForwardBackward(c, w, batch, { xi: regular(tau).multipliers(T) });
    // each window [s, e) on its own, started from the forward state at s, same 1/(B·T) scale
    const fwd = referenceForwardBackward(c, w, batch);
    const sum = toFloat64(c, initWeights(c, createRng(0)));
    for (const [name] of paramShapes(c)) sum[name]!.fill(0);
    for (let s = 0; s < T; s += tau) {
      const e = Math.min(T, s + tau);
      const slice = (a: ArrayLike<number>, per: number) => Array.from(a).slice(s * B * per, e * B * per);
      const win: Batch = { B, T: e - s, tokens: slice(batch.tokens!, 1), targets: slice(batch.targets!, 1) };
      const h0 = Array.from(fwd.h.slice(s * B * c.hidden, (s + 1) * B * c.hidden));
      const g = referenceForwardBackward(c, w, win, { h0, scale: 1 / (B * T) }).grads;
      for (const [name] of paramShapes(c)) g[name]!.forEach((v, i) => (sum[name]![i] += v));
    }
    for (const [name] of paramShapes(c)) expect(relErr(trunc.grads[name]!, sum[name]!)).toBeLessThan(1e-12);
    const got = await gpuGrads(c, initWeightsFrom(c, w), batch, regular(tau).multipliers(T));
    compare('GPU regular(3) vs Σ independent windows', c, got.grads, sum);
  });

  it('randomized with π = 1 equals full, bit for bit', async () => {
    const c = makeConfig({ hidden: 8 });
    const w = initWeights(c, createRng(21));
    const batch = makeBatch(c, 2, 5, 22);
    const a = await gpuGrads(c, w, batch, randomized(1).multipliers(5, createRng(1)));
    const b = await gpuGrads(c, w, batch, full().multipliers(5));
    for (const [name] of paramShapes(c)) expect(Array.from(a.grads[name]!)).toEqual(Array.from(b.grads[name]!));
  });

  it('randomized: E[ξ_t] = 1 and the averaged gradient converges to the full one', () => {
    const rng = createRng(7);
    const pi = 0.3, N = 40_000;
    const s = randomized(pi);
    let sum = 0, zeros = 0;
    for (let i = 0; i < N / 8; i++) for (const v of s.multipliers(8, rng)) { sum += v; zeros += v === 0 ? 1 : 0; }
    const mean = sum / N, sigma = Math.sqrt((1 / pi - 1) / N);
    console.log(`E[ξ] over ${N} draws: ${mean.toFixed(4)} (σ of the mean ${sigma.toFixed(4)}); P(ξ=0) = ${(zeros / N).toFixed(4)}`);
    expect(Math.abs(mean - 1)).toBeLessThan(5 * sigma);
    expect(Math.abs(zeros / N - (1 - pi))).toBeLessThan(0.01);
    // unbiasedness of the gradient itself (the gradient is multilinear in independent ξ)
    const c = makeConfig({ hidden: 3, inputSize: 3, outputSize: 3 });
    const w = initWeights(c, createRng(31));
    const batch = makeBatch(c, 1, 4, 32);
    const fullG = referenceForwardBackward(c, w, batch).grads.W_hh;
    const avg = new Float64Array(fullG.length);
    const M = 20_000, sp = randomized(0.5);
    for (let i = 0; i < M; i++) referenceForwardBackward(c, w, batch, { xi: sp.multipliers(4, rng) }).grads.W_hh.forEach((v, j) => (avg[j] += v / M));
    const err = relErr(avg, fullG);
    console.log(`mean of ${M} randomized(0.5) gradients vs full: rel error ${err.toExponential(2)}`);
    expect(err).toBeLessThan(0.05);
  });
});

function initWeightsFrom(c: RnnConfig, w: Weights<Float64Array>): Weights {
  const out: Partial<Weights> = {};
  for (const [name] of paramShapes(c)) out[name] = Float32Array.from(w[name]!);
  return out as Weights;
}

describe('training step: clip + update on the GPU vs float64', () => {
  for (const kind of ['sgd', 'adagrad', 'adam'] as const) {
    it(`${kind}, two steps with carried state, clipping active`, async () => {
      const device = await gpu();
      const c = makeConfig({ hidden: 10 });
      const B = 2, T = 5;
      const w0 = initWeights(c, createRng(41));
      const opt = { kind, lr: 0.5, beta1: 0.9, beta2: 0.99, eps: 1e-6 };
      const tr = new Trainer(device, { config: c, batch: B, steps: T, weights: w0, optimizer: opt, clip: 0.05, truncation: regular(2) });
      const P = toFloat64(c, w0);
      const st = { s1: new Float64Array(0), s2: new Float64Array(0), step: 0 };
      const names = paramShapes(c).map(([n]) => n);
      const flat = (w: Weights<Float64Array>) => Float64Array.from(names.flatMap((n) => Array.from(w[n]!)));
      let Pflat = flat(P);
      st.s1 = new Float64Array(Pflat.length);
      st.s2 = new Float64Array(Pflat.length);
      let h0: number[] | undefined;
      for (let s = 0; s < 2; s++) {
        const batch = makeBatch(c, B, T, 50 + s);
        const h = await tr.step({ ...batch, state: 'carry' }); // one contiguous stream: the state carried by name
        const stats = await h.stats;
        // reference: same weights, same carried state, same ξ
        let off = 0;
        const cur: Partial<Weights<Float64Array>> = {};
        for (const [n, r, cc] of paramShapes(c)) { cur[n] = Pflat.slice(off, off + r * cc); off += r * cc; }
        const ref = referenceForwardBackward(c, cur as Weights<Float64Array>, batch, { xi: h.xi, h0 });
        h0 = Array.from(ref.h.slice(T * B * c.hidden));
        const G = flat(ref.grads);
        const before = Pflat.slice();
        const r = clipUpdate64(Pflat, G, ref.loss, st, { ...opt, clip: 0.05 });
        expect(r.scale).toBeLessThan(1); // clipping fired
        expect(Math.abs(stats.gradNorm - r.norm) / r.norm).toBeLessThan(1e-5);
        expect(Math.abs(stats.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
        const got = flat(toFloat64(c, await tr.weights()));
        const dGot = got.map((v, i) => v - before[i]), dRef = Pflat.map((v, i) => v - before[i]);
        const e = relErr(dGot, dRef);
        console.log(`${kind} step ${s + 1}: loss ${stats.loss.toFixed(5)} norm ${stats.gradNorm.toFixed(4)} update rel error ${e.toExponential(2)}`);
        expect(e).toBeLessThan(1e-4);
        Pflat = got; // continue from the GPU's weights so errors do not compound
      }
      tr.destroy();
    });
  }
  it('a non-finite loss skips the update: weights bit-identical, counter up, training continues', async () => {
    const device = await gpu();
    const c = makeConfig({ hidden: 6 });
    const tr = new Trainer(device, { config: c, batch: 2, steps: 3, seed: 3 });
    const before = await tr.engine.readFlatParams();
    const bad = before.slice();
    bad[tr.engine.layout.byName.W_qh!.offset] = Infinity; // what a corrupted weight would do
    tr.engine.writeFlatParams(bad);
    const s = await (await tr.step(makeBatch(c, 2, 3, 1))).stats;
    expect(s.skipped).toBe(true);
    expect(s.skippedTotal).toBe(1);
    expect(Array.from(await tr.engine.readFlatParams())).toEqual(Array.from(bad));
    tr.engine.writeFlatParams(before);
    const s2 = await (await tr.step(makeBatch(c, 2, 3, 1))).stats;
    expect(s2.skipped).toBe(false);
    expect(s2.step).toBe(1);
    tr.destroy();
  });
});
