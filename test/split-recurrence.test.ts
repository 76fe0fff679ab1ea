// The split recurrence (src/kernels/split.ts: one dispatch per step, the
// hidden units and sequences over many workgroups) on a real WebGPU device
// against the float64 functions, at every shape the sequence kernels' tests
// use (test/kernels.test.ts for rnn, test/cell-kernels.test.ts for LSTM and
// GRU: chunks t0 > 0, T = 1, H not a multiple of the workgroup, the largest
// H of the sequence kernels, H = 1030), with ξ per step and sequence, a loss
// mask and the carries in and out; ξ = 0 cutting a non-finite gradient; and
// whole training steps of engines that choose it (every cell, 2 layers,
// padded sequences, truncation, chunks) against the float64 reference.
import { describe, it, expect } from 'vitest';
import { relErr, kernelHarness, report as reportError, gpu } from './harness';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';
import { createSplitForward, createSplitBackward, splitWorkgroups } from '../src/kernels/split';
import { maxHiddenLstm } from '../src/kernels/lstm';
import { maxHiddenGru } from '../src/kernels/gru';
import { rnnForward64, rnnBackward64 } from '../src/reference/kernels64';
import { lstmForward64, lstmBackward64, gruForward64, gruBackward64 } from '../src/reference/cells-kernels64';
import { referenceCells } from '../src/reference/cells64';
import { BpttEngine } from '../src/engine/bptt';
import { tuneRecurrenceRows } from '../src/engine/tune-step';
import { initWeights } from '../src/model/params';
import { validateConfig, type CellKind } from '../src/model/config';
import type { Batch } from '../src/reference/rnn64';

const rng = createRng(1717);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const report = (name: string, err: number, tol: number) => reportError(name, err, tol, 56);
let worst = 0;
const check = (name: string, err: number, tol = 1e-5) => {
  worst = Math.max(worst, err);
  report(name, err, tol);
};

/** W (rows, cols) row-major → Wᵀ (cols, rows). */
function transpose(W: Float32Array, rows: number, cols: number): Float32Array {
  const WT = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) WT[c * rows + r] = W[r * cols + c];
  return WT;
}

/** ξ per (t, b): 0, 2 or 1, each sequence with its own cuts. */
const xiPattern = (T: number, B: number) => Float32Array.from({ length: T * B }, (_, i) => ((i + Math.floor(i / B)) % 3 === 1 ? 0 : i % 3 === 2 ? 2 : 1));
/** A loss mask with a zero. */
const maskPattern = (T: number) => Float32Array.from({ length: T }, (_, t) => (t % 4 === 2 ? 0 : 1));

const cat = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** The elements of a (T[+1], B, n) tensor outside rows [from, to) are unchanged. */
function expectUntouched(got: Float32Array, before: Float32Array, rowLen: number, from: number, to: number) {
  expect(Array.from(got.subarray(0, from * rowLen))).toEqual(Array.from(before.subarray(0, from * rowLen)));
  expect(Array.from(got.subarray(to * rowLen))).toEqual(Array.from(before.subarray(to * rowLen)));
}

describe('split rnn forward / backward (the shapes of test/kernels.test.ts)', () => {
  const cases: [number, number, number, 'tanh' | 'identity' | 'relu', boolean][] = [
    [1, 1, 1, 'tanh', true],
    [3, 5, 13, 'tanh', true],
    [1, 4, 130, 'relu', true],
    [5, 3, 33, 'identity', false],
    [3, 2, 257, 'tanh', true],
    [6, 3, 70, 'tanh', true],
    [1, 2, 1030, 'identity', true],
  ];
  for (const [B, T, H, activation, bias] of cases) {
    it(`B=${B} T=${T} H=${H} ${activation}${bias ? ' bias' : ''}`, async () => {
      const { device, up, zeros, run, read } = await kernelHarness();
      const W = randn(H * H, 1 / Math.sqrt(H)), Zx = randn(T * B * H), h0 = randn(B * H, 0.5), b_hh = randn(H);
      const bOffset = 64 + Math.ceil((H * H) / 64) * 64;
      const P = new Float32Array(bOffset + H);
      P.set(W, 64);
      P.set(b_hh, bOffset);
      const params = up(P);
      const WT = new Float32Array(64 + H * H);
      WT.set(transpose(W, H, H), 64);
      const hsInit = new Float32Array((T + 1) * B * H);
      hsInit.set(h0);
      const hs = up(hsInit);
      const fwd = createSplitForward(device, { cell: 'rnn', hidden: H, activation, bias });
      run(fwd, fwd.bind({ weightsT: up(WT), zx: up(Zx), hs, params }, { B, t0: 0, t1: T, wOffset: 64, bOffset }));
      const HsGpu = await read(hs, (T + 1) * B * H);
      check(`split rnn forward B=${B} T=${T} H=${H}`, relErr(HsGpu, rnnForward64(W, Zx, h0, B, T, H, activation, bias ? b_hh : undefined)));

      const dHo = randn(T * B * H), dHc0 = randn(B * H);
      const xi = xiPattern(T, B), mask = Float32Array.from({ length: T }, (_, t) => (t % 4 === 3 ? 0 : 1));
      const bwd = createSplitBackward(device, { cell: 'rnn', hidden: H, activation });
      const dHc = up(dHc0), dZ = zeros(T * B * H), dH = zeros(T * B * H);
      run(bwd, bwd.bind({ params, hs, dHo: up(dHo), xi: up(cat(mask, xi)), dHc, dG: dZ, dH }, { B, t0: 0, t1: T, wOffset: 64, xiOffset: T, maskOffset: 0 }));
      const want = rnnBackward64(W, HsGpu, dHo, xi, mask, dHc0, B, T, H, activation);
      check(`split rnn backward dZ B=${B} T=${T} H=${H}`, relErr(await read(dZ, T * B * H), want.dZ));
      check(`split rnn backward dH B=${B} T=${T} H=${H}`, relErr(await read(dH, T * B * H), want.dH));
      check(`split rnn backward carry B=${B} T=${T} H=${H}`, relErr(await read(dHc, B * H), want.carry));
    });
  }
});

/** B, T (tensor length), t0, t1 (the chunk), H (0: the sequence kernels' largest for rows = 4), bias: test/cell-kernels.test.ts's cases. */
type Case = [number, number, number, number, number, boolean];
const cases: Case[] = [
  [1, 1, 0, 1, 1, true],
  [3, 5, 1, 4, 5, false],
  [5, 3, 0, 3, 33, true],
  [2, 2, 0, 2, 130, false],
  [6, 4, 2, 3, 130, true],
  [3, 2, 0, 2, 257, true],
  [4, 2, 1, 2, 0, false],
];
const name = ([B, T, t0, t1, H, bias]: Case) => `B=${B} T=${T} t=${t0}..${t1} H=${H || 'max'}${bias ? ' bias' : ''}`;

/** The ξ buffer: the loss mask at maskOffset, ξ (T, B) at xiOffset, other values around. */
function xiBuffer(T: number, B: number) {
  const xi = xiPattern(T, B), mask = maskPattern(T);
  const maskOffset = 3, xiOffset = 5 + T;
  const buf = new Float32Array(xiOffset + T * B + 2).fill(7);
  buf.set(mask, maskOffset);
  buf.set(xi, xiOffset);
  return { buf, xi, mask, maskOffset, xiOffset };
}

describe('split LSTM forward / backward (the shapes of test/cell-kernels.test.ts)', () => {
  for (const c of cases) {
    it(name(c), async () => {
      const [B, T, t0, t1, H0, bias] = c;
      const { device, up, run, read } = await kernelHarness();
      const H = H0 || maxHiddenLstm(device, 4);
      const n = t1 - t0, G = 4 * H, S = B * H;
      const W = randn(G * H, 1 / Math.sqrt(H)), Zx = randn(T * B * G), bhh = randn(G, 0.3);
      const wOffset = 32, bOffset = wOffset + G * H + 5;
      const P = randn(bOffset + G + 3);
      P.set(W, wOffset);
      P.set(bhh, bOffset);
      const params = up(P);
      const hsInit = randn((T + 1) * S, 0.5), csInit = randn((T + 1) * S), gatesInit = randn(T * B * G);
      const hs = up(hsInit), cs = up(csInit), gates = up(gatesInit);
      const fwd = createSplitForward(device, { cell: 'lstm', hidden: H, bias });
      run(fwd, fwd.bind({ weightsT: up(transpose(W, G, H)), params, zx: up(Zx), hs, cs, gates }, { B, t0, t1, bOffset }));
      const want = lstmForward64(W, Zx.subarray(t0 * B * G), hsInit.subarray(t0 * S), csInit.subarray(t0 * S), B, n, H, bias ? bhh : undefined);
      const [hsGpu, csGpu, gatesGpu] = await Promise.all([read(hs, (T + 1) * S), read(cs, (T + 1) * S), read(gates, T * B * G)]);
      check(`split lstm forward hs ${name(c)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Hs.subarray(S)));
      check(`split lstm forward cs ${name(c)}`, relErr(csGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Cs.subarray(S)));
      check(`split lstm forward gates ${name(c)}`, relErr(gatesGpu.subarray(t0 * B * G, t1 * B * G), want.gates));
      expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
      expectUntouched(csGpu, csInit, S, t0 + 1, t1 + 1);
      expectUntouched(gatesGpu, gatesInit, B * G, t0, t1);

      const dHo = randn(T * S), dHc0 = randn(S), dCc0 = randn(S);
      const x = xiBuffer(T, B);
      const dGInit = randn(T * B * G), dHInit = randn(T * S), dCInit = randn(T * S);
      const dHc = up(cat(dHc0, dCc0)), dG = up(dGInit), dH = up(cat(dHInit, dCInit));
      const bwd = createSplitBackward(device, { cell: 'lstm', hidden: H });
      run(bwd, bwd.bind({ params, cs, gates, dHo: up(dHo), xi: up(x.buf), dHc, dG, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset, cOffset: T * S }));
      const g = lstmBackward64(W, csGpu.subarray(t0 * S), gatesGpu.subarray(t0 * B * G), dHo.subarray(t0 * S), x.xi.subarray(t0 * B), x.mask.subarray(t0), dHc0, dCc0, B, n, H);
      const [dGGpu, dHAll, dHcAll] = await Promise.all([read(dG, T * B * G), read(dH, 2 * T * S), read(dHc, 2 * S)]);
      const [dHGpu, dCGpu, dHcGpu, dCcGpu] = [dHAll.subarray(0, T * S), dHAll.subarray(T * S), dHcAll.subarray(0, S), dHcAll.subarray(S)];
      check(`split lstm backward dG ${name(c)}`, relErr(dGGpu.subarray(t0 * B * G, t1 * B * G), g.dG));
      check(`split lstm backward dH ${name(c)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), g.dH));
      check(`split lstm backward dC ${name(c)}`, relErr(dCGpu.subarray(t0 * S, t1 * S), g.dC));
      check(`split lstm backward dHc out ${name(c)}`, relErr(dHcGpu, g.dHc));
      check(`split lstm backward dCc out ${name(c)}`, relErr(dCcGpu, g.dCc));
      expectUntouched(dGGpu, dGInit, B * G, t0, t1);
      expectUntouched(dHGpu, dHInit, S, t0, t1);
      expectUntouched(dCGpu, dCInit, S, t0, t1);
      for (let b = 0; b < B; b++) {
        if (x.xi[t0 * B + b] !== 0) continue;
        expect(Array.from(dHcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
        expect(Array.from(dCcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
      }
    });
  }
});

describe('split GRU forward / backward (the shapes of test/cell-kernels.test.ts)', () => {
  for (const c of cases) {
    it(name(c), async () => {
      const [B, T, t0, t1, H0, bias] = c;
      const { device, up, run, read } = await kernelHarness();
      const H = H0 || maxHiddenGru(device, 4);
      const n = t1 - t0, G = 3 * H, S = B * H;
      const W = randn(G * H, 1 / Math.sqrt(H)), Zx = randn(T * B * G), bhh = randn(G, 0.3);
      const wOffset = 32, bOffset = wOffset + G * H + 5;
      const P = randn(bOffset + G + 3);
      P.set(W, wOffset);
      P.set(bhh, bOffset);
      const params = up(P);
      const hsInit = randn((T + 1) * S, 0.5), gatesInit = randn(T * B * 4 * H);
      const hs = up(hsInit), gates = up(gatesInit);
      const fwd = createSplitForward(device, { cell: 'gru', hidden: H, bias });
      run(fwd, fwd.bind({ weightsT: up(transpose(W, G, H)), params, zx: up(Zx), hs, gates }, { B, t0, t1, bOffset }));
      const want = gruForward64(W, Zx.subarray(t0 * B * G), hsInit.subarray(t0 * S), B, n, H, bias ? bhh : undefined);
      const [hsGpu, gatesGpu] = await Promise.all([read(hs, (T + 1) * S), read(gates, T * B * 4 * H)]);
      check(`split gru forward hs ${name(c)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Hs.subarray(S)));
      check(`split gru forward gates ${name(c)}`, relErr(gatesGpu.subarray(t0 * B * 4 * H, t1 * B * 4 * H), want.gates));
      expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
      expectUntouched(gatesGpu, gatesInit, B * 4 * H, t0, t1);

      const dHo = randn(T * S), dHc0 = randn(S);
      const x = xiBuffer(T, B);
      const dGiInit = randn(T * B * G), dGhInit = randn(T * B * G), dHInit = randn(T * S);
      const dHc = up(dHc0), dG = up(cat(dGiInit, dGhInit)), dH = up(dHInit);
      const bwd = createSplitBackward(device, { cell: 'gru', hidden: H });
      run(bwd, bwd.bind({ params, hs, gates, dHo: up(dHo), xi: up(x.buf), dHc, dG, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset, ghOffset: T * B * G }));
      const g = gruBackward64(W, hsGpu.subarray(t0 * S), gatesGpu.subarray(t0 * B * 4 * H), dHo.subarray(t0 * S), x.xi.subarray(t0 * B), x.mask.subarray(t0), dHc0, B, n, H);
      const [dGGpu, dHGpu, dHcGpu] = await Promise.all([read(dG, 2 * T * B * G), read(dH, T * S), read(dHc, S)]);
      const [dGiGpu, dGhGpu] = [dGGpu.subarray(0, T * B * G), dGGpu.subarray(T * B * G)];
      check(`split gru backward dGi ${name(c)}`, relErr(dGiGpu.subarray(t0 * B * G, t1 * B * G), g.dGi));
      check(`split gru backward dGh ${name(c)}`, relErr(dGhGpu.subarray(t0 * B * G, t1 * B * G), g.dGh));
      check(`split gru backward dH ${name(c)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), g.dH));
      check(`split gru backward dHc out ${name(c)}`, relErr(dHcGpu, g.dHc));
      expectUntouched(dGiGpu, dGiInit, B * G, t0, t1);
      expectUntouched(dGhGpu, dGhInit, B * G, t0, t1);
      expectUntouched(dHGpu, dHInit, S, t0, t1);
      for (let b = 0; b < B; b++) {
        if (x.xi[t0 * B + b] !== 0) continue;
        expect(Array.from(dHcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
      }
    });
  }
});

// ξ = 0 cuts exactly even when the gradient it cuts is not finite: step 1's
// dHo is Inf for sequences 0 and 2 (ξ_1 = 0) and finite for sequence 1, all
// in one workgroup's lanes; step 0 must see a zero carry for them.
describe('split: ξ = 0 cuts a non-finite gradient', () => {
  const B = 3, H = 6, T = 2;
  const xi = Float32Array.from([1, 1, 1, 0, 1, 0]);
  const dHo = Float32Array.from({ length: T * B * H }, (_, i) => (i >= B * H && Math.floor(i / H) % B !== 1 ? Infinity : rng.normal()));
  const mask = Float32Array.from([1, 1]);
  const zero = new Float32Array(B * H);
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(cell, async () => {
      const { device, up, run, read } = await kernelHarness();
      const G = { rnn: 1, lstm: 4, gru: 3 }[cell] * H;
      const W = randn(G * H, 0.4), Zx = randn(T * B * G), h0 = randn(B * H);
      const bwd = createSplitBackward(device, { cell, hidden: H });
      const xiBuf = up(cat(mask, xi));
      let got: Float32Array, want: Float64Array;
      if (cell === 'rnn') {
        const hs = Float32Array.from(rnnForward64(W, Zx, h0, B, T, H, 'tanh'));
        const dG = up(new Float32Array(T * B * H));
        run(bwd, bwd.bind({ params: up(W), hs: up(hs), dHo: up(dHo), xi: xiBuf, dHc: up(zero), dG, dH: up(new Float32Array(T * B * H)) }, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 }));
        got = await read(dG, B * G);
        want = rnnBackward64(W, hs, dHo, xi, mask, zero, B, T, H, 'tanh').dZ.subarray(0, B * G);
      } else if (cell === 'lstm') {
        const f = lstmForward64(W, Zx, h0, randn(B * H), B, T, H);
        const cs = Float32Array.from(f.Cs), gates = Float32Array.from(f.gates);
        const dG = up(new Float32Array(T * B * G));
        run(bwd, bwd.bind({ params: up(W), cs: up(cs), gates: up(gates), dHo: up(dHo), xi: xiBuf, dHc: up(cat(zero, zero)), dG, dH: up(new Float32Array(2 * T * B * H)) }, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 }));
        got = await read(dG, B * G);
        want = lstmBackward64(W, cs, gates, dHo, xi, mask, zero, zero, B, T, H).dG.subarray(0, B * G);
      } else {
        const f = gruForward64(W, Zx, h0, B, T, H);
        const hs = Float32Array.from(f.Hs), gates = Float32Array.from(f.gates);
        const dG = up(new Float32Array(2 * T * B * G));
        run(bwd, bwd.bind({ params: up(W), hs: up(hs), gates: up(gates), dHo: up(dHo), xi: xiBuf, dHc: up(zero), dG, dH: up(new Float32Array(T * B * H)) }, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 }));
        got = await read(dG, B * G);
        want = gruBackward64(W, hs, gates, dHo, xi, mask, zero, B, T, H).dGi.subarray(0, B * G);
      }
      expect(got.every(Number.isFinite)).toBe(true);
      check(`split ${cell} backward step 0 behind Inf cut by ξ = 0`, relErr(got, want));
    });
  }
});

describe('split kernels: options and dims', () => {
  it('refuse a missing cell buffer, a bad step range, short buffers; spread a step over H/32 × B/4 workgroups', async () => {
    const { device, up } = await kernelHarness();
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BpttError);
        return (e as BpttError).field;
      }
      return null;
    };
    const buf = (n: number) => up(new Float32Array(n));
    const H = 3, B = 2, T = 2;
    const lf = createSplitForward(device, { cell: 'lstm', hidden: H });
    const lb = { weightsT: buf(4 * H * H), params: buf(4), zx: buf(T * B * 4 * H), hs: buf((T + 1) * B * H), gates: buf(T * B * 4 * H) };
    expect(field(() => lf.bind(lb, { B, t0: 0, t1: T }))).toBe('split_forward.cs');
    expect(field(() => lf.bind({ ...lb, cs: buf((T + 1) * B * H) }, { B, t0: 2, t1: 1 }))).toBe('split_forward.t1');
    expect(field(() => lf.bind({ ...lb, cs: buf((T + 1) * B * H) }, { B, t0: 0, t1: T + 1 }))).toBe('split_forward.zx');
    expect(field(() => createSplitBackward(device, { cell: 'gru', hidden: 0 }))).toBe('split_backward.hidden');
    expect(splitWorkgroups(256, 32)).toEqual([8, 8, 1]);
    expect(splitWorkgroups(1024, 64)).toEqual([32, 16, 1]);
  });
});

// ---------------------------------------------------------------------------
// Whole training steps: engines built with recurrence 'split' against the
// float64 reference (every cell, 2 layers, dense inputs with MSE, padded
// sequences, loss weights; a truncation ξ with a cut; a chunked window).

describe("whole training steps with recurrence: 'split'", () => {
  const CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];
  for (const cell of CELLS) {
    it(`${cell} × 2 layers: lengths, loss weights, a cut in ξ, chunks of 2`, async () => {
      const device = await gpu();
      const c = validateConfig({ cell, layers: 2, input: 'dense', inputSize: 3, hidden: 5, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' });
      const w = initWeights(c, createRng(11));
      const B = 5, T = 5, lengths = [5, 3, 1, 4, 2];
      const r = createRng(12);
      const batch: Batch = { B, T, x: Array.from({ length: T * B * 3 }, () => 2 * r.next() - 1), y: Array.from({ length: T * B * 2 }, () => 2 * r.next() - 1) };
      const lossWeights = Array.from({ length: T * B }, (_, i) => 1 + (i % 3));
      const xi = Float32Array.from([1, 1, 0, 1, 1]);
      const ref = referenceCells(c, w, batch, { lengths, lossWeights, xi: Array.from(xi) });
      for (const chunk of [undefined, 2]) {
        const eng = new BpttEngine(device, { config: c, batch: B, steps: T, recurrence: 'split', chunk });
        try {
          eng.writeWeights(w);
          eng.writeBatch({ x: batch.x, y: batch.y, lengths, lossWeights });
          eng.writeXi(xi);
          eng.writeH0();
          eng.run();
          const g = await eng.readGradients();
          let e = Math.abs((await eng.readLoss()) - ref.loss) / ref.loss;
          for (const k of Object.keys(ref.grads)) e = Math.max(e, relErr(g[k], ref.grads[k]));
          const h = await eng.readLastState();
          for (let l = 0; l < 2; l++) e = Math.max(e, relErr(h.subarray(l * B * 5, (l + 1) * B * 5), ref.hLast[l]));
          check(`split engine ${cell} × 2${chunk ? ', chunks of 2' : ''}: loss, gradients, last state`, e, 1e-5);
        } finally {
          eng.destroy();
        }
      }
    });
  }

  it('the tuner times split beside rows 1, 2, 4 and names the faster recurrence', async () => {
    const device = await gpu();
    const config = validateConfig({ cell: 'rnn', layers: 1, input: 'tokens', inputSize: 6, hidden: 8, outputSize: 6, activation: 'tanh', bias: true, loss: 'softmax-xent' });
    const t = await tuneRecurrenceRows(device, config, 4, 3, 1);
    expect(Object.keys(t.ms).map(Number).sort()).toEqual([1, 2, 4]);
    expect(t.split).toBeGreaterThan(0);
    expect(t.recurrence).toBe(t.split! < t.ms[t.best] ? 'split' : 'sequence');
    console.log(`split recurrence: worst relative error over every check ${worst.toExponential(2)}`);
  });
});
