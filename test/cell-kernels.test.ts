// The LSTM and GRU recurrence kernels on a real WebGPU device against their
// float64 functions (src/reference/cells-kernels64.ts), over shapes that are
// not multiples of the workgroup or batch tile: H = 1, 5, 21, 33, 130, 257,
// 601 (more units than one pass of the forward's threads) and the largest H
// for ROWS = 4; B not a multiple of ROWS; T = 1; a chunk t0 > 0 in the
// middle of the tensors; ROWS = 1, 2, 4, 8. Every case runs on
// both kinds of recurrence kernel, which bind the same buffers and dims
// (test/recurrence-fixtures.ts): the sequence kernels (lstm_*.wgsl,
// gru_*.wgsl at ROWS sequences per workgroup) and the split recurrence
// (src/kernels/split.ts; no ROWS: the largest H is the sequence kernels' for
// ROWS = 4), whose tests are named `split …`. ξ = 0 cutting a non-finite
// gradient is checked here for every cell (rnn too) and both kinds. Prints
// the max relative error of each case. The float64 backward functions are
// checked first against centred finite differences of the float64 forward
// functions. The rnn recurrence (both kinds) over the same helper: chunks
// t0 > 0 at ROWS = 1, 2, 4, 8 and sequence lengths (padded steps hold the
// state and get no gradient; a length 0, lengths ≤ t0, inside and past the
// chunk), against rnnForward64 / rnnBackward64 (src/reference/kernels64.ts)
// run on each sequence's real steps. Elsewhere: the rnn recurrence of both
// kinds over whole tensors (t0 = 0, every activation) in
// test/kernels.test.ts; whole training steps with recurrence 'split' and
// its options in test/split-recurrence.test.ts.
import { describe, it, expect } from 'vitest';
import { relErr, kernelHarness, report as reportError, type KernelHarness } from './harness';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';
import { softwareDevice } from '../src/gpu/device';
import { createLstmForward, createLstmBackward, maxHiddenLstm, autoRowsLstm } from '../src/kernels/lstm';
import { createGruForward, createGruBackward, maxHiddenGru, autoRowsGru } from '../src/kernels/gru';
import type { SplitCell } from '../src/kernels/split';
import { lstmForward64, lstmBackward64, gruForward64, gruBackward64 } from '../src/reference/cells-kernels64';
import { rnnForward64, rnnBackward64 } from '../src/reference/kernels64';
import { KERNEL_KINDS, rnnKernels, lstmKernels, gruKernels, kindTestName, kernelLabel, labelWidth, transpose, cat, expectUntouched, xiBuffer, type KernelKind, type LargestHidden } from './recurrence-fixtures';

const rng = createRng(909);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const randn64 = (n: number, s = 1) => Float64Array.from({ length: n }, () => s * rng.normal());
const setup = kernelHarness;
const report = (name: string, err: number, tol: number, kind: KernelKind = 'sequence') => reportError(name, err, tol, labelWidth(kind, 52));

// ---------------------------------------------------------------------------
// The float64 functions against centred finite differences.
//
// The loss L = Σ_t m_t ⟨dHo_t, h_{t+1}⟩ + ⟨dHc, h_T⟩ [+ ⟨dCc, c_T⟩] is built
// from the forward function one step at a time. ξ_{t,b} is realised exactly:
// the state entering step t is s̄_t + ξ_{t,b}(s_t − s̄_t), with s̄ the
// unperturbed trajectory (equal in value, ξ times the derivative). Probes δ
// added to h_{t+1} (and, through c_t + δ/f, to c_{t+1}) give ∂L/∂h_{t+1} and
// ∂L/∂c_{t+1}: the backward's dH and dC.

const EPS = 1e-6;

function centred(f: () => number, x: Float64Array, i: number): number {
  const v = x[i];
  x[i] = v + EPS;
  const up = f();
  x[i] = v - EPS;
  const down = f();
  x[i] = v;
  return (up - down) / (2 * EPS);
}

function fdGrad(f: () => number, x: Float64Array): Float64Array {
  return Float64Array.from(x, (_, i) => centred(f, x, i));
}

describe('float64 kernel functions against finite differences', () => {
  const B = 2, T = 4, H = 3;
  const xi = Float64Array.from([1, 0.5, 0, 1, 2, 1, 1, 0]); // (T, B): a cut per sequence, and scalings
  const mask = Float64Array.from([1, 0, 1, 1]);
  const dHo = randn64(T * B * H), dHcIn = randn64(B * H), dCcIn = randn64(B * H);

  it('lstmBackward64 is the derivative of lstmForward64', () => {
    const G = 4;
    const W = randn64(G * H * H, 0.6), Zx = randn64(T * B * G * H), bhh = randn64(G * H, 0.3), h0 = randn64(B * H, 0.5), c0 = randn64(B * H);
    const ph = new Float64Array(T * B * H), pc = new Float64Array(T * B * H);
    const base = lstmForward64(W, Zx, h0, c0, B, T, H, bhh);
    const loss = () => {
      let h = Float64Array.from(h0), c = Float64Array.from(c0), L = 0;
      for (let t = 0; t < T; t++) {
        const s = t * B * H;
        const hin = h.map((v, i) => base.Hs[s + i] + xi[t * B + Math.floor(i / H)] * (v - base.Hs[s + i]));
        const cin = c.map((v, i) => base.Cs[s + i] + xi[t * B + Math.floor(i / H)] * (v - base.Cs[s + i]));
        // c_{t+1} = f⊙c_in + i⊙g: c_in + δ/f moves c_{t+1} by exactly δ (f does not depend on c_in)
        for (let i = 0; i < B * H; i++) cin[i] += pc[s + i] / base.gates[(t * B + Math.floor(i / H)) * G * H + H + (i % H)];
        const step = lstmForward64(W, Zx.subarray(t * B * G * H, (t + 1) * B * G * H), hin, cin, B, 1, H, bhh);
        h = step.Hs.slice(B * H).map((v, i) => v + ph[s + i]);
        c = step.Cs.slice(B * H);
        for (let i = 0; i < B * H; i++) L += mask[t] * dHo[s + i] * h[i];
      }
      for (let i = 0; i < B * H; i++) L += dHcIn[i] * h[i] + dCcIn[i] * c[i];
      return L;
    };
    const g = lstmBackward64(W, base.Cs, base.gates, dHo, xi, mask, dHcIn, dCcIn, B, T, H);
    const dW = new Float64Array(G * H * H), db = new Float64Array(G * H);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let r = 0; r < G * H; r++) {
          const d = g.dG[(t * B + b) * G * H + r];
          db[r] += d;
          for (let k = 0; k < H; k++) dW[r * H + k] += d * base.Hs[(t * B + b) * H + k];
        }
      }
    }
    const errs = {
      'dG (∂L/∂Zx)': relErr(fdGrad(loss, Zx), g.dG),
      'dH (∂L/∂h_t)': relErr(fdGrad(loss, ph), g.dH),
      'dC (∂L/∂c_t)': relErr(fdGrad(loss, pc), g.dC),
      'dHc out (∂L/∂h0)': relErr(fdGrad(loss, h0), g.dHc),
      'dCc out (∂L/∂c0)': relErr(fdGrad(loss, c0), g.dCc),
      'Σ dG ⊗ h_t (∂L/∂W_hh)': relErr(fdGrad(loss, W), dW),
      'Σ dG (∂L/∂b_hh)': relErr(fdGrad(loss, bhh), db),
    };
    for (const [name, err] of Object.entries(errs)) report(`lstm64 finite differences ${name}`, err, 1e-7);
    // ξ_{0,1} = 0.5 and ξ_{3,1} = 0: the carry out is scaled, a zero ξ kills the whole history of step 3
    expect(g.dHc.subarray(H, 2 * H).some((v) => v !== 0)).toBe(true);
  });

  it('gruBackward64 is the derivative of gruForward64', () => {
    const G = 3;
    const W = randn64(G * H * H, 0.6), Zx = randn64(T * B * G * H), bhh = randn64(G * H, 0.3), h0 = randn64(B * H, 0.5);
    const ph = new Float64Array(T * B * H);
    const base = gruForward64(W, Zx, h0, B, T, H, bhh);
    const loss = () => {
      let h = Float64Array.from(h0), L = 0;
      for (let t = 0; t < T; t++) {
        const s = t * B * H;
        const hin = h.map((v, i) => base.Hs[s + i] + xi[t * B + Math.floor(i / H)] * (v - base.Hs[s + i]));
        const step = gruForward64(W, Zx.subarray(t * B * G * H, (t + 1) * B * G * H), hin, B, 1, H, bhh);
        h = step.Hs.slice(B * H).map((v, i) => v + ph[s + i]);
        for (let i = 0; i < B * H; i++) L += mask[t] * dHo[s + i] * h[i];
      }
      for (let i = 0; i < B * H; i++) L += dHcIn[i] * h[i];
      return L;
    };
    const g = gruBackward64(W, base.Hs, base.gates, dHo, xi, mask, dHcIn, B, T, H);
    const dW = new Float64Array(G * H * H), db = new Float64Array(G * H);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let r = 0; r < G * H; r++) {
          const d = g.dGh[(t * B + b) * G * H + r];
          db[r] += d;
          for (let k = 0; k < H; k++) dW[r * H + k] += d * base.Hs[(t * B + b) * H + k];
        }
      }
    }
    const errs = {
      'dGi (∂L/∂Zx)': relErr(fdGrad(loss, Zx), g.dGi),
      'dH (∂L/∂h_t)': relErr(fdGrad(loss, ph), g.dH),
      'dHc out (∂L/∂h0)': relErr(fdGrad(loss, h0), g.dHc),
      'Σ dGh ⊗ h_t (∂L/∂W_hh)': relErr(fdGrad(loss, W), dW),
      'Σ dGh (∂L/∂b_hh)': relErr(fdGrad(loss, bhh), db),
    };
    for (const [name, err] of Object.entries(errs)) report(`gru64 finite differences ${name}`, err, 1e-7);
    expect(g.dHc.subarray(H, 2 * H).some((v) => v !== 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// The kernels against the float64 functions: each case on the sequence
// kernels, then on the split recurrence (tests named `split …`, the case's
// ROWS left out of names and labels), with the same buffers and checks.

/**
 * B, T (tensor length), t0, t1 (the chunk), H, ROWS, bias, and optional
 * sequence lengths (B; step t of sequence b is real iff t < lengths[b]).
 * H = 0: the largest H for ROWS (the split recurrence: for ROWS = 4).
 */
type Case = [number, number, number, number, number, number, boolean, (readonly number[])?];
const cases: Case[] = [
  [1, 1, 0, 1, 1, 1, true],
  [3, 5, 1, 4, 5, 2, false],
  [5, 3, 0, 3, 33, 4, true],
  [2, 2, 0, 2, 130, 1, false],
  [6, 4, 2, 3, 130, 4, true],
  [3, 2, 0, 2, 257, 1, true],
  [4, 2, 1, 2, 0, 4, false],
  [11, 4, 1, 3, 21, 8, true], // rows 8: B not a multiple of it, a chunk
  [2, 2, 0, 2, 601, 1, false], // H > 2 units · 256 threads: the forward's threads take a second block of units
];
/** The case's name in test names and report labels; ROWS only for the sequence kernels. */
const name = ([B, T, t0, t1, H, rows, bias, lengths]: Case, kind: KernelKind = 'sequence') =>
  `B=${B} T=${T} t=${t0}..${t1} H=${H || 'max'}${kind === 'sequence' ? ` rows=${rows}` : ''}${bias ? ' bias' : ''}${lengths ? ` lengths=${lengths.join(',')}` : ''}`;

/**
 * Each case (of `list`, default `cases`) on each kind of kernel, one test
 * each (named by kindTestName): `body` gets the case, the kind, the harness
 * and H (the case's, or the kind's largest for the case's ROWS).
 */
function forEachCase(maxHidden: LargestHidden, body: (c: Case, kind: KernelKind, h: KernelHarness, H: number) => Promise<void>, list: readonly Case[] = cases) {
  for (const kind of KERNEL_KINDS) {
    for (const c of list) {
      it(kindTestName(kind, name(c, kind)), async () => {
        const h = await setup();
        await body(c, kind, h, c[4] || maxHidden[kind](h.device, c[5]));
      });
    }
  }
}

/**
 * Random W_hh (G·H, H), Zx (T, B, G·H) and b_hh (G·H), and the params
 * buffer: W_hh at wOffset and b_hh at bOffset among other values (the rnn:
 * G = H, one row of W_hh per unit).
 */
function gatedOperands(up: KernelHarness['up'], B: number, T: number, G: number, H: number) {
  const W = randn(G * H, 1 / Math.sqrt(H)), Zx = randn(T * B * G), bhh = randn(G, 0.3);
  const wOffset = 32, bOffset = wOffset + G * H + 5;
  const P = randn(bOffset + G + 3);
  P.set(W, wOffset);
  P.set(bhh, bOffset);
  return { W, Zx, bhh, wOffset, bOffset, params: up(P) };
}

describe('lstm_forward.wgsl / lstm_backward.wgsl', () => {
  forEachCase(lstmKernels.maxHidden, async (c, kind, { device, up, run, read }, H) => {
    const [B, T, t0, t1, , rows, bias] = c;
    const n = t1 - t0, G = 4 * H, S = B * H;
    const { W, Zx, bhh, wOffset, bOffset, params } = gatedOperands(up, B, T, G, H);
    // whole tensors hold other values; the kernel must read state t0 and touch only t0 + 1 … t1
    const hsInit = randn((T + 1) * S, 0.5), csInit = randn((T + 1) * S), gatesInit = randn(T * B * G);
    const hs = up(hsInit), cs = up(csInit), gates = up(gatesInit);
    const fwd = lstmKernels.forward[kind](device, H, rows, { bias });
    run(fwd, fwd.bind({ weightsT: up(transpose(W, G, H)), params, zx: up(Zx), hs, cs, gates }, { B, t0, t1, bOffset }));
    const want = lstmForward64(W, Zx.subarray(t0 * B * G), hsInit.subarray(t0 * S), csInit.subarray(t0 * S), B, n, H, bias ? bhh : undefined);
    const [hsGpu, csGpu, gatesGpu] = await Promise.all([read(hs, (T + 1) * S), read(cs, (T + 1) * S), read(gates, T * B * G)]);
    const forward = kernelLabel(kind, 'lstm', 'forward');
    report(`${forward} hs ${name(c, kind)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Hs.subarray(S)), 1e-5, kind);
    report(`${forward} cs ${name(c, kind)}`, relErr(csGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Cs.subarray(S)), 1e-5, kind);
    report(`${forward} gates ${name(c, kind)}`, relErr(gatesGpu.subarray(t0 * B * G, t1 * B * G), want.gates), 1e-5, kind);
    expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
    expectUntouched(csGpu, csInit, S, t0 + 1, t1 + 1);
    expectUntouched(gatesGpu, gatesInit, B * G, t0, t1);

    const dHo = randn(T * S), dHc0 = randn(S), dCc0 = randn(S);
    const x = xiBuffer(T, B);
    const dGInit = randn(T * B * G), dHInit = randn(T * S), dCInit = randn(T * S);
    // the two carries in one buffer (h, then c); ∂L/∂c_t after ∂L/∂h_t in dH
    const dHc = up(cat(dHc0, dCc0)), dG = up(dGInit), dH = up(cat(dHInit, dCInit));
    const bwd = lstmKernels.backward[kind](device, H, rows, {});
    run(bwd, bwd.bind({ params, cs, gates, dHo: up(dHo), xi: up(x.buf), dHc, dG, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset, cOffset: T * S }));
    // the reference reads the GPU's own forward, so only this kernel is measured
    const g = lstmBackward64(W, csGpu.subarray(t0 * S), gatesGpu.subarray(t0 * B * G), dHo.subarray(t0 * S), x.xi.subarray(t0 * B), x.mask.subarray(t0), dHc0, dCc0, B, n, H);
    const [dGGpu, dHGpuAll, dHcGpuAll] = await Promise.all([read(dG, T * B * G), read(dH, 2 * T * S), read(dHc, 2 * S)]);
    const [dHGpu, dCGpu, dHcGpu, dCcGpu] = [dHGpuAll.subarray(0, T * S), dHGpuAll.subarray(T * S), dHcGpuAll.subarray(0, S), dHcGpuAll.subarray(S)];
    const backward = kernelLabel(kind, 'lstm', 'backward');
    report(`${backward} dG ${name(c, kind)}`, relErr(dGGpu.subarray(t0 * B * G, t1 * B * G), g.dG), 1e-5, kind);
    report(`${backward} dH ${name(c, kind)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), g.dH), 1e-5, kind);
    report(`${backward} dC ${name(c, kind)}`, relErr(dCGpu.subarray(t0 * S, t1 * S), g.dC), 1e-5, kind);
    report(`${backward} dHc out ${name(c, kind)}`, relErr(dHcGpu, g.dHc), 1e-5, kind);
    report(`${backward} dCc out ${name(c, kind)}`, relErr(dCcGpu, g.dCc), 1e-5, kind);
    expectUntouched(dGGpu, dGInit, B * G, t0, t1);
    expectUntouched(dHGpu, dHInit, S, t0, t1);
    expectUntouched(dCGpu, dCInit, S, t0, t1);
    // ξ_{t0,b} = 0 cuts exactly
    for (let b = 0; b < B; b++) {
      if (x.xi[t0 * B + b] !== 0) continue;
      expect(Array.from(dHcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
      expect(Array.from(dCcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('gru_forward.wgsl / gru_backward.wgsl', () => {
  forEachCase(gruKernels.maxHidden, async (c, kind, { device, up, run, read }, H) => {
    const [B, T, t0, t1, , rows, bias] = c;
    const n = t1 - t0, G = 3 * H, S = B * H;
    const { W, Zx, bhh, wOffset, bOffset, params } = gatedOperands(up, B, T, G, H);
    const hsInit = randn((T + 1) * S, 0.5), gatesInit = randn(T * B * 4 * H);
    const hs = up(hsInit), gates = up(gatesInit);
    const fwd = gruKernels.forward[kind](device, H, rows, { bias });
    run(fwd, fwd.bind({ weightsT: up(transpose(W, G, H)), params, zx: up(Zx), hs, gates }, { B, t0, t1, bOffset }));
    const want = gruForward64(W, Zx.subarray(t0 * B * G), hsInit.subarray(t0 * S), B, n, H, bias ? bhh : undefined);
    const [hsGpu, gatesGpu] = await Promise.all([read(hs, (T + 1) * S), read(gates, T * B * 4 * H)]);
    const forward = kernelLabel(kind, 'gru', 'forward');
    report(`${forward} hs ${name(c, kind)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Hs.subarray(S)), 1e-5, kind);
    report(`${forward} gates ${name(c, kind)}`, relErr(gatesGpu.subarray(t0 * B * 4 * H, t1 * B * 4 * H), want.gates), 1e-5, kind);
    expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
    expectUntouched(gatesGpu, gatesInit, B * 4 * H, t0, t1);

    const dHo = randn(T * S), dHc0 = randn(S);
    const x = xiBuffer(T, B);
    const dGiInit = randn(T * B * G), dGhInit = randn(T * B * G), dHInit = randn(T * S);
    // dGi, then dGh at ghOffset, in one buffer
    const dHc = up(dHc0), dG = up(cat(dGiInit, dGhInit)), dH = up(dHInit);
    const bwd = gruKernels.backward[kind](device, H, rows, {});
    run(bwd, bwd.bind({ params, hs, gates, dHo: up(dHo), xi: up(x.buf), dHc, dG, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset, ghOffset: T * B * G }));
    const g = gruBackward64(W, hsGpu.subarray(t0 * S), gatesGpu.subarray(t0 * B * 4 * H), dHo.subarray(t0 * S), x.xi.subarray(t0 * B), x.mask.subarray(t0), dHc0, B, n, H);
    const [dGGpu, dHGpu, dHcGpu] = await Promise.all([read(dG, 2 * T * B * G), read(dH, T * S), read(dHc, S)]);
    const [dGiGpu, dGhGpu] = [dGGpu.subarray(0, T * B * G), dGGpu.subarray(T * B * G)];
    const backward = kernelLabel(kind, 'gru', 'backward');
    report(`${backward} dGi ${name(c, kind)}`, relErr(dGiGpu.subarray(t0 * B * G, t1 * B * G), g.dGi), 1e-5, kind);
    report(`${backward} dGh ${name(c, kind)}`, relErr(dGhGpu.subarray(t0 * B * G, t1 * B * G), g.dGh), 1e-5, kind);
    report(`${backward} dH ${name(c, kind)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), g.dH), 1e-5, kind);
    report(`${backward} dHc out ${name(c, kind)}`, relErr(dHcGpu, g.dHc), 1e-5, kind);
    expectUntouched(dGiGpu, dGiInit, B * G, t0, t1);
    expectUntouched(dGhGpu, dGhInit, B * G, t0, t1);
    expectUntouched(dHGpu, dHInit, S, t0, t1);
    for (let b = 0; b < B; b++) {
      if (x.xi[t0 * B + b] !== 0) continue;
      expect(Array.from(dHcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------
// The rnn recurrence on the same helper: chunks t0 > 0 at ROWS = 1, 2, 4, 8
// (B not a multiple of ROWS; H = 13, 21, not multiples of a thread's 8
// units), and sequence lengths (a length 0, lengths ≤ t0, inside the chunk,
// at t1 and past it). The expected values are the float64 functions run on
// each sequence alone over its real steps t0 ≤ t < min(lengths[b], t1): a
// padded step holds the state; the loss puts no weight on it and nothing
// beyond a sequence's last real step sends it gradient (dHo and the carry in
// are 0 there, as the engine makes them), so its dZ and dH are exactly 0.

/** The rnn's cases (φ = tanh): B, T, t0, t1, H, ROWS, bias, lengths. */
const rnnCases: Case[] = [
  [3, 5, 2, 5, 13, 1, true],
  [5, 4, 1, 3, 21, 2, false],
  [6, 5, 3, 5, 13, 4, true],
  [11, 4, 1, 3, 21, 8, true],
  [5, 6, 0, 6, 13, 2, true, [6, 3, 0, 1, 5]],
  [3, 4, 1, 4, 21, 1, false, [4, 2, 0]],
  [7, 6, 2, 5, 21, 4, false, [6, 2, 0, 4, 3, 5, 1]],
  [11, 5, 1, 4, 13, 8, true, [5, 0, 3, 1, 4, 2, 5, 3, 0, 4, 1]],
];

/** Sequence b of a (T, B, X) tensor, steps from … from + steps − 1, as (steps, 1, X). */
const sequenceOf = (a: ArrayLike<number>, B: number, X: number, b: number, from: number, steps: number) =>
  Float64Array.from({ length: steps * X }, (_, i) => a[((from + Math.floor(i / X)) * B + b) * X + (i % X)]);

describe('rnn_forward.wgsl / rnn_backward.wgsl: chunks t0 > 0, sequence lengths', () => {
  const activation = 'tanh';
  forEachCase(rnnKernels.maxHidden, async (c, kind, { device, up, run, read }, H) => {
    const [B, T, t0, t1, , rows, bias, lengths] = c;
    const n = t1 - t0, S = B * H;
    const len = (b: number) => lengths?.[b] ?? T;
    // each sequence's real steps in the chunk
    const real = Array.from({ length: B }, (_, b) => Math.max(0, Math.min(len(b), t1) - t0));
    const row = (a: Float32Array, t: number, b: number) => a.subarray((t * B + b) * H, (t * B + b + 1) * H);
    const { W, Zx, bhh, wOffset, bOffset, params } = gatedOperands(up, B, T, H, H);
    // whole tensors hold other values; the kernel must read state t0 and touch only t0 + 1 … t1
    const hsInit = randn((T + 1) * S, 0.5);
    const hs = up(hsInit);
    const fwd = rnnKernels.forward[kind](device, H, rows, { activation, bias });
    // Wᵀ at wOffset of weightsT, after other values
    const weightsT = up(cat(randn(wOffset), transpose(W, H, H)));
    run(fwd, fwd.bind({ weightsT, zx: up(Zx), hs, params, ...(lengths && { lengths: up(Uint32Array.from(lengths)) }) }, { B, t0, t1, wOffset, bOffset }));
    const want = new Float64Array(n * S);
    for (let b = 0; b < B; b++) {
      const r = real[b];
      const Hs = rnnForward64(W, sequenceOf(Zx, B, H, b, t0, r), sequenceOf(hsInit, B, H, b, t0, 1), 1, r, H, activation, bias ? bhh : undefined);
      for (let s = 0; s < n; s++) want.set(Hs.subarray(Math.min(s + 1, r) * H, (Math.min(s + 1, r) + 1) * H), (s * B + b) * H);
    }
    const hsGpu = await read(hs, (T + 1) * S);
    const forward = kernelLabel(kind, 'rnn', 'forward');
    report(`${forward} hs ${name(c, kind)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want), 1e-5, kind);
    expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
    // a padded step copies the state exactly
    for (let b = 0; b < B; b++) for (let t = t0 + real[b]; t < t1; t++) expect(Array.from(row(hsGpu, t + 1, b))).toEqual(Array.from(row(hsGpu, t, b)));

    const dHo = randn(T * S), dHc0 = randn(S);
    for (let b = 0; b < B; b++) {
      for (let t = len(b); t < T; t++) row(dHo, t, b).fill(0);
      if (len(b) < t1) dHc0.fill(0, b * H, (b + 1) * H);
    }
    const x = xiBuffer(T, B);
    const dZInit = randn(T * S), dHInit = randn(T * S);
    const dHc = up(dHc0), dZ = up(dZInit), dH = up(dHInit);
    const bwd = rnnKernels.backward[kind](device, H, rows, { activation });
    run(bwd, bwd.bind({ params, hs, dHo: up(dHo), xi: up(x.buf), dHc, dG: dZ, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset }));
    // the reference reads the GPU's own forward, so only this kernel is measured
    const wantZ = new Float64Array(n * S), wantH = new Float64Array(n * S), wantC = new Float64Array(S);
    for (let b = 0; b < B; b++) {
      const r = real[b];
      const g = rnnBackward64(W, sequenceOf(hsGpu, B, H, b, t0, r + 1), sequenceOf(dHo, B, H, b, t0, r), sequenceOf(x.xi, B, 1, b, t0, r), x.mask.subarray(t0), dHc0.subarray(b * H, (b + 1) * H), 1, r, H, activation);
      for (let s = 0; s < r; s++) {
        wantZ.set(g.dZ.subarray(s * H, (s + 1) * H), (s * B + b) * H);
        wantH.set(g.dH.subarray(s * H, (s + 1) * H), (s * B + b) * H);
      }
      wantC.set(g.carry, b * H);
    }
    const [dZGpu, dHGpu, dHcGpu] = await Promise.all([read(dZ, T * S), read(dH, T * S), read(dHc, S)]);
    const backward = kernelLabel(kind, 'rnn', 'backward');
    report(`${backward} dZ ${name(c, kind)}`, relErr(dZGpu.subarray(t0 * S, t1 * S), wantZ), 1e-5, kind);
    report(`${backward} dH ${name(c, kind)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), wantH), 1e-5, kind);
    report(`${backward} dHc out ${name(c, kind)}`, relErr(dHcGpu, wantC), 1e-5, kind);
    expectUntouched(dZGpu, dZInit, S, t0, t1);
    expectUntouched(dHGpu, dHInit, S, t0, t1);
    for (let b = 0; b < B; b++) {
      // padded steps: exactly no gradient
      for (let t = t0 + real[b]; t < t1; t++) {
        expect(Array.from(row(dZGpu, t, b)).every((v) => v === 0)).toBe(true);
        expect(Array.from(row(dHGpu, t, b)).every((v) => v === 0)).toBe(true);
      }
      // ξ_{t0,b} = 0 cuts exactly
      if (x.xi[t0 * B + b] === 0) expect(Array.from(dHcGpu.subarray(b * H, (b + 1) * H)).every((v) => v === 0)).toBe(true);
    }
  }, rnnCases);
});

// ---------------------------------------------------------------------------
// ξ = 0 cuts exactly even when the gradient it cuts is not finite: step 1's
// dHo is Inf for sequences 0 and 2, whose ξ_1 = 0, while sequence 1 (ξ_1 = 1)
// shares their workgroup (the sequence kernels at ROWS = 2) or their vec4
// lanes (the split recurrence), so the GEMV runs on Inf and NaN. Step 0 must
// see a zero carry for them (not NaN = 0 · Inf) and stay finite. Every cell,
// both kinds.

describe('ξ = 0 cuts a non-finite gradient', () => {
  const B = 3, H = 6, T = 2, rows = 2;
  const xi = Float32Array.from([1, 1, 1, 0, 1, 0]);
  const dHo = Float32Array.from({ length: T * B * H }, (_, i) => (i >= B * H && Math.floor(i / H) % B !== 1 ? Infinity : rng.normal()));
  const mask = Float32Array.from([1, 1]);
  const xiBuf = cat(mask, xi);
  const zero = new Float32Array(B * H);
  const dims = { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 };

  /**
   * Per cell: run its reverse kernel of `kind` on W_hh = W and a float64
   * forward's states; step 0's gradient of the pre-activations (the GPU's
   * and the float64 function's) and its name.
   */
  const step0: Record<SplitCell, (kind: KernelKind, W: Float32Array, G: number) => Promise<{ grad: string; got: Float32Array; want: Float64Array }>> = {
    async lstm(kind, W, G) {
      const { device, up, run, read } = await setup();
      const f = lstmForward64(W, randn(T * B * G), randn(B * H), randn(B * H), B, T, H);
      const cs = Float32Array.from(f.Cs), gates = Float32Array.from(f.gates);
      const dHc = up(cat(zero, zero)), dG = up(new Float32Array(T * B * G)), dH = up(new Float32Array(2 * T * B * H));
      const bwd = lstmKernels.backward[kind](device, H, rows, {});
      run(bwd, bwd.bind({ params: up(W), cs: up(cs), gates: up(gates), dHo: up(dHo), xi: up(xiBuf), dHc, dG, dH }, dims));
      return { grad: 'dG', got: await read(dG, B * G), want: lstmBackward64(W, cs, gates, dHo, xi, mask, zero, zero, B, T, H).dG.subarray(0, B * G) };
    },
    async gru(kind, W, G) {
      const { device, up, run, read } = await setup();
      const f = gruForward64(W, randn(T * B * G), randn(B * H), B, T, H);
      const hs = Float32Array.from(f.Hs), gates = Float32Array.from(f.gates);
      const dHc = up(zero), dG = up(new Float32Array(2 * T * B * G)), dH = up(new Float32Array(T * B * H));
      const bwd = gruKernels.backward[kind](device, H, rows, {});
      run(bwd, bwd.bind({ params: up(W), hs: up(hs), gates: up(gates), dHo: up(dHo), xi: up(xiBuf), dHc, dG, dH }, dims));
      return { grad: 'dGi', got: await read(dG, B * G), want: gruBackward64(W, hs, gates, dHo, xi, mask, zero, B, T, H).dGi.subarray(0, B * G) };
    },
    async rnn(kind, W, G) {
      const { device, up, run, read } = await setup();
      const hs = Float32Array.from(rnnForward64(W, randn(T * B * G), randn(B * H), B, T, H, 'tanh'));
      const dHc = up(zero), dG = up(new Float32Array(T * B * G)), dH = up(new Float32Array(T * B * H));
      const bwd = rnnKernels.backward[kind](device, H, rows, { activation: 'tanh' });
      run(bwd, bwd.bind({ params: up(W), hs: up(hs), dHo: up(dHo), xi: up(xiBuf), dHc, dG, dH }, dims));
      return { grad: 'dZ', got: await read(dG, B * G), want: rnnBackward64(W, hs, dHo, xi, mask, zero, B, T, H, 'tanh').dZ.subarray(0, B * G) };
    },
  };

  for (const kind of KERNEL_KINDS) {
    for (const cell of ['lstm', 'gru', 'rnn'] as const) {
      const kernel = kernelLabel(kind, cell, 'backward');
      it(kernel, async () => {
        const G = { rnn: 1, lstm: 4, gru: 3 }[cell] * H;
        const { grad, got, want } = await step0[cell](kind, randn(G * H, 0.4), G);
        expect(got.every(Number.isFinite)).toBe(true);
        // the sequence kernels' labels name the gradient; the split recurrence's name the kernel only
        report(`${kernel} ${kind === 'sequence' ? `${grad} at step 0` : 'step 0'} behind Inf cut by ξ = 0`, relErr(got, want), 1e-5, kind);
      });
    }
  }
});

// ---------------------------------------------------------------------------
// Bad options and dims: a BpttError naming the field, before any GPU work.

describe('bad options and dims', () => {
  it('refuses rows, hidden, step ranges, offsets and short buffers', async () => {
    const { device, up } = await setup();
    const throwsField = (f: () => unknown, field: string) => {
      let err: unknown = null;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpttError);
      expect((err as BpttError).field).toBe(field);
    };
    throwsField(() => createLstmForward(device, { hidden: 4, rows: 3 }), 'lstm_forward.rows');
    throwsField(() => createLstmBackward(device, { hidden: 0 }), 'lstm_backward.hidden');
    throwsField(() => createLstmBackward(device, { hidden: maxHiddenLstm(device, 4) + 1, rows: 4 }), 'lstm_backward.hidden');
    throwsField(() => createGruForward(device, { hidden: 2.5 }), 'gru_forward.hidden');
    throwsField(() => createGruBackward(device, { hidden: maxHiddenGru(device, 2) + 1, rows: 2 }), 'gru_backward.hidden');
    const H = 3, B = 2, T = 2;
    const buf = (n: number) => up(new Float32Array(n));
    const lf = createLstmForward(device, { hidden: H, bias: true });
    const lb = { weightsT: buf(4 * H * H), params: buf(4 * H), zx: buf(T * B * 4 * H), hs: buf((T + 1) * B * H), cs: buf((T + 1) * B * H), gates: buf(T * B * 4 * H) };
    throwsField(() => lf.bind(lb, { B, t0: 0, t1: T }), 'lstm_forward.bOffset');
    throwsField(() => lf.bind(lb, { B, t0: 2, t1: 1, bOffset: 0 }), 'lstm_forward.t1');
    throwsField(() => lf.bind(lb, { B: 0, t0: 0, t1: 1, bOffset: 0 }), 'lstm_forward.B');
    throwsField(() => lf.bind(lb, { B, t0: 0, t1: T + 1, bOffset: 0 }), 'lstm_forward.zx');
    throwsField(() => lf.bind(lb, { B, t0: 0, t1: T, bOffset: 1 }), 'lstm_forward.params');
    const gb = createGruBackward(device, { hidden: H });
    const gbuf = { params: buf(3 * H * H), hs: buf((T + 1) * B * H), gates: buf(T * B * 4 * H), dHo: buf(T * B * H), xi: buf(T + T * B), dHc: buf(B * H), dG: buf(2 * T * B * 3 * H), dH: buf(T * B * H) };
    throwsField(() => gb.bind(gbuf, { B, t0: 0, t1: T, wOffset: -1, xiOffset: T, maskOffset: 0 }), 'gru_backward.wOffset');
    throwsField(() => gb.bind(gbuf, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T + 3, maskOffset: 0 }), 'gru_backward.xi');
    throwsField(() => gb.bind({ ...gbuf, dHc: buf(1) }, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 }), 'gru_backward.dHc');
    // the chooser: 8 sequences per workgroup on a software adapter (4 on a GPU) where they fit, fewer for small batches or large H
    const most = softwareDevice(device) ? 8 : 4;
    expect(autoRowsLstm(device, 8, 32)).toBe(most);
    expect(autoRowsLstm(device, 8, 7)).toBe(4);
    expect(autoRowsGru(device, 8, 3)).toBe(2);
    expect(autoRowsLstm(device, maxHiddenLstm(device, 8) + 1, 32)).toBe(4);
    expect(autoRowsLstm(device, maxHiddenLstm(device, 4) + 1, 32)).toBe(2);
    expect(autoRowsGru(device, maxHiddenGru(device, 1), 32)).toBe(1);
  });
});
