// The float64 reference for every cell and depth (src/reference/cells64.ts):
// against centred finite differences of its own loss (full BPTT, ξ = 1: the
// loss's true gradient), against the chapter's reference for one rnn layer
// under every ξ strategy, and the truncation identities.
import { describe, it, expect } from 'vitest';
import { validateConfig, type CellKind, type RnnConfig } from '../src/model/config';
import { initWeights, paramShapes, type Weights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { toFloat64, referenceForwardBackward, type Batch } from '../src/reference/rnn64';
import { referenceCells, referenceCellsLoss, type CellsOptions, type CellsResult } from '../src/reference/cells64';
import { full, regular, randomized, explicit } from '../src/engine/truncation';
import { makeBatch } from './fixtures';
import { gradDiff } from './harness';

function cfg(cell: CellKind, layers: number, bias: boolean, dense: boolean, activation: RnnConfig['activation'] = 'tanh'): RnnConfig {
  return validateConfig({ cell, layers, input: dense ? 'dense' : 'tokens', inputSize: dense ? 3 : 4, hidden: 3, outputSize: dense ? 2 : 4, activation, bias, loss: dense ? 'mse' : 'softmax-xent' });
}

/** Nonzero h0 (and c0 for LSTM) per layer. */
function states(c: RnnConfig, B: number, seed: number): CellsOptions {
  const rng = createRng(seed);
  const one = () => Array.from({ length: B * c.hidden }, () => 0.5 * rng.normal());
  const L = c.layers ?? 1;
  return { h0: Array.from({ length: L }, one), ...(c.cell === 'lstm' ? { c0: Array.from({ length: L }, one) } : {}) };
}

/** max over tensors of max|fd − g| / max|g|, centred differences of the loss. */
function fdError(c: RnnConfig, w: Weights<Float64Array>, batch: Batch, opts: CellsOptions): number {
  const { grads } = referenceCells(c, w, batch, opts);
  const eps = 1e-5;
  let worst = 0;
  for (const [name] of paramShapes(c)) {
    const t = w[name], g = grads[name];
    let num = 0, den = 0;
    for (let i = 0; i < t.length; i++) {
      const keep = t[i];
      t[i] = keep + eps;
      const lp = referenceCellsLoss(c, w, batch, opts);
      t[i] = keep - eps;
      const lm = referenceCellsLoss(c, w, batch, opts);
      t[i] = keep;
      num = Math.max(num, Math.abs((lp - lm) / (2 * eps) - g[i]));
      den = Math.max(den, Math.abs(g[i]));
    }
    worst = Math.max(worst, den > 0 ? num / den : num);
  }
  return worst;
}

function expectSame(c: RnnConfig, a: CellsResult, b: CellsResult, tol = 1e-12) {
  expect(Math.abs(a.loss - b.loss)).toBeLessThan(tol * Math.abs(b.loss));
  expect(gradDiff(c, a.grads, b.grads)).toBeLessThan(tol);
  expect(Object.keys(a.grads).sort()).toEqual(paramShapes(c).map(([n]) => n).sort());
}

const CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];

describe('referenceCells vs centred finite differences (full BPTT, ξ = 1)', () => {
  for (const cell of CELLS) {
    for (const layers of [1, 2, 3]) {
      it(`${cell}, ${layers} layer(s): bias/no bias × tokens+softmax/dense+mse × T = 1, 4`, () => {
        const lines: string[] = [];
        let worst = 0;
        for (const bias of [true, false]) {
          for (const dense of [false, true]) {
            for (const T of [1, 4]) {
              const c = cfg(cell, layers, bias, dense, cell !== 'rnn' || bias ? 'tanh' : 'identity'); // φ is the rnn cell's alone
              const w = toFloat64(c, initWeights(c, createRng(11 + layers)));
              const B = 2;
              const err = fdError(c, w, makeBatch(c, B, T, 7 + T), states(c, B, 5));
              lines.push(`${bias ? 'bias' : 'no bias'} ${dense ? 'dense/mse' : 'tokens/softmax'} T=${T}: ${err.toExponential(2)}`);
              worst = Math.max(worst, err);
            }
          }
        }
        console.log(`${cell} × ${layers}: max rel error vs finite differences ${worst.toExponential(2)} (${lines.join('; ')})`);
        expect(worst).toBeLessThan(1e-6);
      });
    }
  }
});

describe('referenceCells with one rnn layer is the chapter reference (rnn64)', () => {
  const T = 7, B = 3;
  const strategies: [string, Float32Array][] = [
    ['full', full().multipliers(T)],
    ['regular(3)', regular(3).multipliers(T)],
    ['randomized(0.6)', randomized(0.6).multipliers(T, createRng(4))],
    ['explicit', explicit([1, 0.5, 2, 0, 1.5, 1, 0.25]).multipliers(T)],
  ];
  for (const activation of ['tanh', 'relu', 'identity'] as const) {
    for (const bias of [true, false]) {
      it(`${activation}, ${bias ? 'bias' : 'no bias'}: every ξ strategy`, () => {
        const c = validateConfig({ input: 'tokens', inputSize: 5, hidden: 4, outputSize: 5, activation, bias, loss: 'softmax-xent' });
        const w = toFloat64(c, initWeights(c, createRng(2)));
        const batch = makeBatch(c, B, T, 3);
        const h0 = states(c, B, 9).h0!;
        for (const [name, xi] of strategies) {
          const a = referenceCells(c, w, batch, { h0, xi });
          const r = referenceForwardBackward(c, w, batch, { h0: h0[0], xi });
          expect(Math.abs(a.loss - r.loss), name).toBeLessThan(1e-12 * r.loss);
          expect(gradDiff(c, a.grads, r.grads), name).toBeLessThan(1e-12);
          const hLast = r.h.slice(T * B * c.hidden);
          a.hLast[0].forEach((v, i) => expect(Math.abs(v - hLast[i])).toBeLessThan(1e-14));
          a.dhNorms.forEach((v, t) => expect(Math.abs(v - r.dhNorms[t]), `${name} dhNorms[${t}]`).toBeLessThan(1e-12 * Math.max(1e-3, r.dhNorms[t])));
        }
      });
    }
  }
});

describe('truncation identities on every cell, 2 layers', () => {
  for (const cell of CELLS) {
    const c = cfg(cell, 2, true, false);
    const w = toFloat64(c, initWeights(c, createRng(21)));
    const T = 7, B = 3;
    const batch = makeBatch(c, B, T, 8);
    const base = states(c, B, 13);

    it(`${cell}: TBPTT(τ, τ) equals regular(τ) ξ`, () => {
      for (const tau of [1, 2, 3, 7]) {
        expectSame(c, referenceCells(c, w, batch, { ...base, tbptt: { k1: tau, k2: tau } }), referenceCells(c, w, batch, { ...base, xi: regular(tau).multipliers(T) }));
      }
    });

    it(`${cell}: TBPTT(k1, k2 ≥ T + k1) equals full BPTT, and truncation changes the gradient otherwise`, () => {
      const fullRun = referenceCells(c, w, batch, base);
      for (const k1 of [1, 2, 3]) expectSame(c, referenceCells(c, w, batch, { ...base, tbptt: { k1, k2: T + k1 } }), fullRun);
      expect(gradDiff(c, referenceCells(c, w, batch, { ...base, tbptt: { k1: 2, k2: 3 } }).grads, fullRun.grads)).toBeGreaterThan(1e-3);
    });

    it(`${cell}: a 2-D ξ with equal rows equals the shared ξ; distinct rows equal each sequence alone`, () => {
      const xi = [1, 0, 1.5, 1, 0.5, 0, 2];
      const shared = referenceCells(c, w, batch, { ...base, xi });
      const rows = Array.from({ length: B }, () => xi.slice());
      const two = referenceCells(c, w, batch, { ...base, xi: rows });
      expectSame(c, two, shared);
      two.dhNorms.forEach((v, t) => expect(v).toBe(shared.dhNorms[t]));
      // per sequence: the batch's gradient is the sum of each sequence's own run (same scale)
      const perSeq = [xi, [1, 1, 1, 0, 1, 1, 1], [2, 0.5, 0, 1, 1, 0, 1]];
      const got = referenceCells(c, w, batch, { ...base, xi: perSeq, tbptt: { k1: 2, k2: 4 } });
      const sum: Weights<Float64Array> = {};
      for (const [n, r, k] of paramShapes(c)) sum[n] = new Float64Array(r * k);
      let loss = 0;
      for (let b = 0; b < B; b++) {
        const pick = (a: ArrayLike<number>, width: number) => Array.from({ length: T * width }, (_, i) => a[(Math.floor(i / width) * B + b) * width + (i % width)]);
        const one: Batch = { B: 1, T, tokens: pick(batch.tokens!, 1), targets: pick(batch.targets!, 1) };
        const row = (s: ArrayLike<number>) => Array.from(s).slice(b * c.hidden, (b + 1) * c.hidden);
        const h0 = base.h0!.map(row), c0 = base.c0?.map(row);
        const r = referenceCells(c, w, one, { h0, c0, xi: perSeq[b], tbptt: { k1: 2, k2: 4 }, scale: 1 / (B * T) });
        loss += r.loss;
        for (const n of Object.keys(sum)) r.grads[n].forEach((v, i) => (sum[n][i] += v));
      }
      expect(Math.abs(got.loss - loss)).toBeLessThan(1e-12 * loss);
      expect(gradDiff(c, got.grads, sum)).toBeLessThan(1e-12);
    });

    it(`${cell}: TBPTT's block sweeps equal one sweep per loss (from differences of prefix runs)`, () => {
      const [k1, k2] = [2, 3];
      const want: Weights<Float64Array> = {};
      for (const [n, r, k] of paramShapes(c)) want[n] = new Float64Array(r * k);
      const prefix = (n: number): Batch => ({ B, T: n, tokens: Array.from(batch.tokens!).slice(0, n * B), targets: Array.from(batch.targets!).slice(0, n * B) });
      for (let t = 0; t < T; t++) {
        const j = Math.max(0, (Math.floor(t / k1) + 1) * k1 - k2);
        // the loss at t alone = losses [0, t] minus losses [0, t), both with the link into h_j cut
        const xi = Array.from({ length: t + 1 }, (_, s) => (j > 0 && s === j ? 0 : 1));
        const a = referenceCells(c, w, prefix(t + 1), { ...base, xi, scale: 1 / (B * T) }).grads;
        const b = t > 0 ? referenceCells(c, w, prefix(t), { ...base, xi: xi.slice(0, t), scale: 1 / (B * T) }).grads : undefined;
        for (const n of Object.keys(want)) want[n].forEach((_, i) => (want[n][i] += a[n][i] - (b ? b[n][i] : 0)));
      }
      expect(gradDiff(c, referenceCells(c, w, batch, { ...base, tbptt: { k1, k2 } }).grads, want)).toBeLessThan(1e-10);
    });
  }
});

describe('referenceCells refuses bad options with BpttError', () => {
  const c = cfg('lstm', 2, true, false);
  const w = toFloat64(c, initWeights(c, createRng(1)));
  const batch = makeBatch(c, 2, 3, 1);
  it('names the field, the value and the limit', () => {
    expect(() => referenceCells(c, w, batch, { tbptt: { k1: 3, k2: 2 } })).toThrow(/tbptt\.k2 = 2: must be ≥ k1 = 3/);
    expect(() => referenceCells(c, w, batch, { xi: [[1, 1, 1]] })).toThrow(/xi = 1 rows: a 2-D xi needs one row per sequence \(B = 2\)/);
    expect(() => referenceCells(c, w, batch, { xi: [1, 1] })).toThrow(/xi = length 2: must have one multiplier per step \(3\)/);
    expect(() => referenceCells(c, w, batch, { h0: [new Float64Array(6)] })).toThrow(/h0 = 1 layers: must have one state per layer \(2\)/);
    const g = cfg('gru', 1, true, false);
    expect(() => referenceCells(g, toFloat64(g, initWeights(g, createRng(1))), batch, { c0: [new Float64Array(6)] })).toThrow(/c0/);
  });
});
