// The LSTM and GRU recurrence kernels on a real WebGPU device against their
// float64 functions (src/reference/cells-kernels64.ts), over shapes that are
// not multiples of the workgroup or batch tile: H = 1, 5, 33, 130, 257 and
// the largest H for ROWS = 4; B not a multiple of ROWS; T = 1; a chunk
// t0 > 0 in the middle of the tensors; ROWS = 1, 2, 4. Prints the max
// relative error of each case. The float64 backward functions are checked
// first against centred finite differences of the float64 forward functions.
import { describe, it, expect } from 'vitest';
import { relErr, kernelHarness, report as reportError } from './harness';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';
import { createLstmForward, createLstmBackward, maxHiddenLstm, autoRowsLstm } from '../src/kernels/lstm';
import { createGruForward, createGruBackward, maxHiddenGru, autoRowsGru } from '../src/kernels/gru';
import { lstmForward64, lstmBackward64, gruForward64, gruBackward64 } from '../src/reference/cells-kernels64';

const rng = createRng(909);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const randn64 = (n: number, s = 1) => Float64Array.from({ length: n }, () => s * rng.normal());
const setup = kernelHarness;
const report = (name: string, err: number, tol: number) => reportError(name, err, tol, 52);

/** W (G·H, H) row-major → Wᵀ (H, G·H) row-major, as createTranspose makes it. */
function transpose(W: Float32Array, rows: number, cols: number): Float32Array {
  const WT = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) WT[c * rows + r] = W[r * cols + c];
  return WT;
}

/** ξ per (t, b): 0, 2 or 1 in a pattern that gives each sequence its own cuts. */
const xiPattern = (T: number, B: number) => Float32Array.from({ length: T * B }, (_, i) => ((i + Math.floor(i / B)) % 3 === 1 ? 0 : i % 3 === 2 ? 2 : 1));
/** A loss mask with a zero. */
const maskPattern = (T: number) => Float32Array.from({ length: T }, (_, t) => (t % 4 === 2 ? 0 : 1));

/** The elements of a (T[+1], B, n) tensor outside rows [from, to) are unchanged. */
function expectUntouched(got: Float32Array, before: Float32Array, rowLen: number, from: number, to: number) {
  expect(Array.from(got.subarray(0, from * rowLen))).toEqual(Array.from(before.subarray(0, from * rowLen)));
  expect(Array.from(got.subarray(to * rowLen))).toEqual(Array.from(before.subarray(to * rowLen)));
}

/** Two arrays back to back (the kernels' merged buffers). */
const cat = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

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
// The kernels against the float64 functions.

/** B, T (tensor length), t0, t1 (the chunk), H, ROWS, bias. H = 0: the largest H for ROWS. */
type Case = [number, number, number, number, number, number, boolean];
const cases: Case[] = [
  [1, 1, 0, 1, 1, 1, true],
  [3, 5, 1, 4, 5, 2, false],
  [5, 3, 0, 3, 33, 4, true],
  [2, 2, 0, 2, 130, 1, false],
  [6, 4, 2, 3, 130, 4, true],
  [3, 2, 0, 2, 257, 1, true],
  [4, 2, 1, 2, 0, 4, false],
];
const name = ([B, T, t0, t1, H, rows, bias]: Case) => `B=${B} T=${T} t=${t0}..${t1} H=${H || 'max'} rows=${rows}${bias ? ' bias' : ''}`;

/** The ξ buffer: the loss mask at maskOffset, ξ (T, B) at xiOffset, padding around. */
function xiBuffer(T: number, B: number) {
  const xi = xiPattern(T, B), mask = maskPattern(T);
  const maskOffset = 3, xiOffset = 5 + T;
  const buf = new Float32Array(xiOffset + T * B + 2).fill(7);
  buf.set(mask, maskOffset);
  buf.set(xi, xiOffset);
  return { buf, xi, mask, maskOffset, xiOffset };
}

describe('lstm_forward.wgsl / lstm_backward.wgsl', () => {
  for (const c of cases) {
    it(name(c), async () => {
      const [B, T, t0, t1, H0, rows, bias] = c;
      const { device, up, run, read } = await setup();
      const H = H0 || maxHiddenLstm(device, rows);
      const n = t1 - t0, G = 4 * H, S = B * H;
      const W = randn(G * H, 1 / Math.sqrt(H)), Zx = randn(T * B * G), bhh = randn(G, 0.3);
      const wOffset = 32, bOffset = wOffset + G * H + 5;
      const P = randn(bOffset + G + 3);
      P.set(W, wOffset);
      P.set(bhh, bOffset);
      const params = up(P);
      // whole tensors hold other values; the kernel must read state t0 and touch only t0 + 1 … t1
      const hsInit = randn((T + 1) * S, 0.5), csInit = randn((T + 1) * S), gatesInit = randn(T * B * G);
      const hs = up(hsInit), cs = up(csInit), gates = up(gatesInit);
      const fwd = createLstmForward(device, { hidden: H, rows, bias });
      run(fwd, fwd.bind({ weightsT: up(transpose(W, G, H)), params, zx: up(Zx), hs, cs, gates }, { B, t0, t1, bOffset }));
      const want = lstmForward64(W, Zx.subarray(t0 * B * G), hsInit.subarray(t0 * S), csInit.subarray(t0 * S), B, n, H, bias ? bhh : undefined);
      const [hsGpu, csGpu, gatesGpu] = await Promise.all([read(hs, (T + 1) * S), read(cs, (T + 1) * S), read(gates, T * B * G)]);
      report(`lstm_forward hs ${name(c)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Hs.subarray(S)), 1e-5);
      report(`lstm_forward cs ${name(c)}`, relErr(csGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Cs.subarray(S)), 1e-5);
      report(`lstm_forward gates ${name(c)}`, relErr(gatesGpu.subarray(t0 * B * G, t1 * B * G), want.gates), 1e-5);
      expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
      expectUntouched(csGpu, csInit, S, t0 + 1, t1 + 1);
      expectUntouched(gatesGpu, gatesInit, B * G, t0, t1);

      const dHo = randn(T * S), dHc0 = randn(S), dCc0 = randn(S);
      const x = xiBuffer(T, B);
      const dGInit = randn(T * B * G), dHInit = randn(T * S), dCInit = randn(T * S);
      // the two carries in one buffer (h, then c); ∂L/∂c_t after ∂L/∂h_t in dH
      const dHc = up(cat(dHc0, dCc0)), dG = up(dGInit), dH = up(cat(dHInit, dCInit));
      const bwd = createLstmBackward(device, { hidden: H, rows });
      run(bwd, bwd.bind({ params, cs, gates, dHo: up(dHo), xi: up(x.buf), dHc, dG, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset, cOffset: T * S }));
      // the reference reads the GPU's own forward, so only this kernel is measured
      const g = lstmBackward64(W, csGpu.subarray(t0 * S), gatesGpu.subarray(t0 * B * G), dHo.subarray(t0 * S), x.xi.subarray(t0 * B), x.mask.subarray(t0), dHc0, dCc0, B, n, H);
      const [dGGpu, dHGpuAll, dHcGpuAll] = await Promise.all([read(dG, T * B * G), read(dH, 2 * T * S), read(dHc, 2 * S)]);
      const [dHGpu, dCGpu, dHcGpu, dCcGpu] = [dHGpuAll.subarray(0, T * S), dHGpuAll.subarray(T * S), dHcGpuAll.subarray(0, S), dHcGpuAll.subarray(S)];
      report(`lstm_backward dG ${name(c)}`, relErr(dGGpu.subarray(t0 * B * G, t1 * B * G), g.dG), 1e-5);
      report(`lstm_backward dH ${name(c)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), g.dH), 1e-5);
      report(`lstm_backward dC ${name(c)}`, relErr(dCGpu.subarray(t0 * S, t1 * S), g.dC), 1e-5);
      report(`lstm_backward dHc out ${name(c)}`, relErr(dHcGpu, g.dHc), 1e-5);
      report(`lstm_backward dCc out ${name(c)}`, relErr(dCcGpu, g.dCc), 1e-5);
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
  }
});

describe('gru_forward.wgsl / gru_backward.wgsl', () => {
  for (const c of cases) {
    it(name(c), async () => {
      const [B, T, t0, t1, H0, rows, bias] = c;
      const { device, up, run, read } = await setup();
      const H = H0 || maxHiddenGru(device, rows);
      const n = t1 - t0, G = 3 * H, S = B * H;
      const W = randn(G * H, 1 / Math.sqrt(H)), Zx = randn(T * B * G), bhh = randn(G, 0.3);
      const wOffset = 32, bOffset = wOffset + G * H + 5;
      const P = randn(bOffset + G + 3);
      P.set(W, wOffset);
      P.set(bhh, bOffset);
      const params = up(P);
      const hsInit = randn((T + 1) * S, 0.5), gatesInit = randn(T * B * 4 * H);
      const hs = up(hsInit), gates = up(gatesInit);
      const fwd = createGruForward(device, { hidden: H, rows, bias });
      run(fwd, fwd.bind({ weightsT: up(transpose(W, G, H)), params, zx: up(Zx), hs, gates }, { B, t0, t1, bOffset }));
      const want = gruForward64(W, Zx.subarray(t0 * B * G), hsInit.subarray(t0 * S), B, n, H, bias ? bhh : undefined);
      const [hsGpu, gatesGpu] = await Promise.all([read(hs, (T + 1) * S), read(gates, T * B * 4 * H)]);
      report(`gru_forward hs ${name(c)}`, relErr(hsGpu.subarray((t0 + 1) * S, (t1 + 1) * S), want.Hs.subarray(S)), 1e-5);
      report(`gru_forward gates ${name(c)}`, relErr(gatesGpu.subarray(t0 * B * 4 * H, t1 * B * 4 * H), want.gates), 1e-5);
      expectUntouched(hsGpu, hsInit, S, t0 + 1, t1 + 1);
      expectUntouched(gatesGpu, gatesInit, B * 4 * H, t0, t1);

      const dHo = randn(T * S), dHc0 = randn(S);
      const x = xiBuffer(T, B);
      const dGiInit = randn(T * B * G), dGhInit = randn(T * B * G), dHInit = randn(T * S);
      // dGi, then dGh at ghOffset, in one buffer
      const dHc = up(dHc0), dG = up(cat(dGiInit, dGhInit)), dH = up(dHInit);
      const bwd = createGruBackward(device, { hidden: H, rows });
      run(bwd, bwd.bind({ params, hs, gates, dHo: up(dHo), xi: up(x.buf), dHc, dG, dH }, { B, t0, t1, wOffset, xiOffset: x.xiOffset, maskOffset: x.maskOffset, ghOffset: T * B * G }));
      const g = gruBackward64(W, hsGpu.subarray(t0 * S), gatesGpu.subarray(t0 * B * 4 * H), dHo.subarray(t0 * S), x.xi.subarray(t0 * B), x.mask.subarray(t0), dHc0, B, n, H);
      const [dGGpu, dHGpu, dHcGpu] = await Promise.all([read(dG, 2 * T * B * G), read(dH, T * S), read(dHc, S)]);
      const [dGiGpu, dGhGpu] = [dGGpu.subarray(0, T * B * G), dGGpu.subarray(T * B * G)];
      report(`gru_backward dGi ${name(c)}`, relErr(dGiGpu.subarray(t0 * B * G, t1 * B * G), g.dGi), 1e-5);
      report(`gru_backward dGh ${name(c)}`, relErr(dGhGpu.subarray(t0 * B * G, t1 * B * G), g.dGh), 1e-5);
      report(`gru_backward dH ${name(c)}`, relErr(dHGpu.subarray(t0 * S, t1 * S), g.dH), 1e-5);
      report(`gru_backward dHc out ${name(c)}`, relErr(dHcGpu, g.dHc), 1e-5);
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

// ---------------------------------------------------------------------------
// ξ = 0 cuts exactly even when the gradient it cuts is not finite: step 1's
// dHo is Inf for sequences 0 and 2, whose ξ_1 = 0, while sequence 1 (ξ_1 = 1)
// shares their workgroup, so the GEMV runs on Inf and NaN. Step 0 must see
// a zero carry for them (not NaN = 0 · Inf) and stay finite.

describe('ξ = 0 cuts a non-finite gradient', () => {
  const B = 3, H = 6, T = 2, rows = 2;
  const xi = Float32Array.from([1, 1, 1, 0, 1, 0]);
  const dHo = Float32Array.from({ length: T * B * H }, (_, i) => (i >= B * H && Math.floor(i / H) % B !== 1 ? Infinity : rng.normal()));
  const mask = Float32Array.from([1, 1]);
  const xiBuf = Float32Array.from([...mask, ...xi]);
  const zero = new Float32Array(B * H);

  it('lstm_backward', async () => {
    const { device, up, run, read } = await setup();
    const G = 4 * H;
    const W = randn(G * H, 0.4);
    const f = lstmForward64(W, randn(T * B * G), randn(B * H), randn(B * H), B, T, H);
    const cs = Float32Array.from(f.Cs), gates = Float32Array.from(f.gates);
    const dHc = up(cat(zero, zero)), dG = up(new Float32Array(T * B * G)), dH = up(new Float32Array(2 * T * B * H));
    const bwd = createLstmBackward(device, { hidden: H, rows });
    run(bwd, bwd.bind({ params: up(W), cs: up(cs), gates: up(gates), dHo: up(dHo), xi: up(xiBuf), dHc, dG, dH }, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 }));
    const g = lstmBackward64(W, cs, gates, dHo, xi, mask, zero, zero, B, T, H);
    const got = await read(dG, B * G);
    expect(got.every(Number.isFinite)).toBe(true);
    report('lstm_backward dG at step 0 behind Inf cut by ξ = 0', relErr(got, g.dG.subarray(0, B * G)), 1e-5);
  });

  it('gru_backward', async () => {
    const { device, up, run, read } = await setup();
    const G = 3 * H;
    const W = randn(G * H, 0.4);
    const f = gruForward64(W, randn(T * B * G), randn(B * H), B, T, H);
    const hs = Float32Array.from(f.Hs), gates = Float32Array.from(f.gates);
    const dHc = up(zero), dG = up(new Float32Array(2 * T * B * G)), dH = up(new Float32Array(T * B * H));
    const bwd = createGruBackward(device, { hidden: H, rows });
    run(bwd, bwd.bind({ params: up(W), hs: up(hs), gates: up(gates), dHo: up(dHo), xi: up(xiBuf), dHc, dG, dH }, { B, t0: 0, t1: T, wOffset: 0, xiOffset: T, maskOffset: 0 }));
    const g = gruBackward64(W, hs, gates, dHo, xi, mask, zero, B, T, H);
    const got = await read(dG, B * G);
    expect(got.every(Number.isFinite)).toBe(true);
    report('gru_backward dGi at step 0 behind Inf cut by ξ = 0', relErr(got, g.dGi.subarray(0, B * G)), 1e-5);
  });
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
    // the chooser: 4 sequences per workgroup where they fit, fewer for small batches or large H
    expect(autoRowsLstm(device, 8, 32)).toBe(4);
    expect(autoRowsGru(device, 8, 3)).toBe(2);
    expect(autoRowsLstm(device, maxHiddenLstm(device, 4) + 1, 32)).toBe(2);
    expect(autoRowsGru(device, maxHiddenGru(device, 1), 32)).toBe(1);
  });
});
