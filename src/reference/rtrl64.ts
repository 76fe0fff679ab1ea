// Forward-mode differentiation (real-time recurrent learning) of the chapter's
// model in float64: the chapter's own derivation, computed. With
// h_t = f(x_t, h_{t−1}, w) = φ(W_hx x_t + W_hh h_{t−1} + b_h) and w the
// recurrent parameters θ = (W_hx, W_hh, b_h), the chapter writes
//
//   a_t = b_t + c_t·a_{t−1},   a_t = ∂h_t/∂θ  (H × P),
//   b_t = ∂f/∂θ (x_t, h_{t−1}) (H × P),   c_t = ∂f/∂h_{t−1} = diag(φ'(z_t))·W_hh (H × H),
//
// so a_t = b_t + Σ_{i<t} (Π_{j=i+1..t} c_j) b_i, and ∂L/∂θ = Σ_t (∂L/∂h_t)_directᵀ a_t
// with (∂L/∂h_t)_direct = W_qhᵀ ∂L/∂o_t. This file carries a_t forward in time,
// alongside h_t, and never runs a reverse pass. The three ways to cut the sum:
//
//   full:        a_t = b_t + c_t a_{t−1}
//   randomized:  a_t = b_t + ξ_t c_t a_{t−1}       (ξ_t as in reverse mode: the same ξ
//                gives the same gradient; regular(τ)'s blocks are ξ_t = 0 at t = τ, 2τ, …)
//   regular, as the chapter writes it ("terminate the sum after τ steps"):
//                a_t ≈ Σ_{i=t−τ..t} (Π_{j=i+1..t} c_j) b_i   (i ≥ 0)
//                the direct term and τ terms of the sum, at most τ factors c_j: the loss
//                at step t reaches h_t … h_{t−τ} (τ + 1 states). In Williams & Peng's
//                terms that is TBPTT(1, τ + 1) — j = t + 1 − k2 = t − τ — not
//                TBPTT(1, τ), which keeps τ states (test/rtrl.test.ts checks both).
//
// Steps are 0-based (the chapter's are 1-based): h_{−1} = h0, and b_0 uses h0.
// P = H·d + H·H (+ H with bias); a_t is dense (H × P), so this is for small models.
import type { RnnConfig } from '../model/config';
import { isChapterModel } from '../model/config';
import { checkWeights, type Weights, type Tensor } from '../model/params';
import { BpttError, requireInt, show } from '../errors';
import { softmaxXent64, mse64 } from './kernels64';
import { referenceCells } from './cells64';
import type { Batch } from './rnn64';
import { phi, dphi } from './phi';

/** Initial state, truncation and loss scale of a forward-mode pass. */
export interface RtrlOptions {
  /** h0: (B·H); zeros when absent. */
  h0?: ArrayLike<number>;
  /** ξ_t multiplies c_t (T), or per sequence [B][T]; default all 1. */
  xi?: ArrayLike<number> | readonly ArrayLike<number>[];
  /** The chapter's regular truncation: keep the terms i = t − τ … t of the sum (τ ≥ 0). */
  tau?: number;
  /** Loss scale; default 1/(B·T). */
  scale?: number;
}

/** Loss and gradient computed forward in time. */
export interface RtrlResult {
  loss: number;
  /** W_hx, W_hh, W_qh (and b_h, b_q with bias). */
  grads: Weights<Float64Array>;
}


/**
 * The chapter model's loss gradient by forward-mode differentiation (RTRL):
 * ∂h_t/∂θ carried forward, for full BPTT, randomized truncation (ξ_t
 * multiplies c_t) or the chapter's regular truncation (`tau`).
 */
export function rtrlGradients(c: RnnConfig, given: Weights<Tensor>, batch: Batch, opts: RtrlOptions = {}): RtrlResult {
  if (!isChapterModel(c)) throw new BpttError('config', `${show(c.cell)} × ${c.layers} layers`, "forward mode is written for the chapter's model (one rnn layer)");
  const w = checkWeights(c, given); // the chapter's names, whichever they came in
  if (opts.tau !== undefined) requireInt('tau', opts.tau, 0, 1 << 20);
  const { B, T } = batch;
  const H = c.hidden, d = c.inputSize, Q = c.outputSize;
  if (opts.h0 && opts.h0.length !== B * H) throw new BpttError('h0', `length ${opts.h0.length}`, `must be B·H = ${B * H}`);
  const scale = opts.scale ?? 1 / (B * T);
  const twoD = opts.xi !== undefined && typeof (opts.xi as ArrayLike<unknown>)[0] === 'object';
  const xi = (t: number, b: number) => (opts.xi === undefined ? 1 : twoD ? (opts.xi as ArrayLike<number>[])[b][t] : (opts.xi as ArrayLike<number>)[t]);
  // θ flattened: W_hx at [0, H·d), W_hh at [H·d, H·d + H²), b_h after
  const oHh = H * d, oB = oHh + H * H, P = oB + (c.bias ? H : 0);

  const gTheta = new Float64Array(P);
  const g: Weights<Float64Array> = { W_qh: new Float64Array(Q * H) };
  if (c.bias) g.b_q = new Float64Array(Q);
  let loss = 0;

  for (let b = 0; b < B; b++) {
    // ---- the forward pass of sequence b: hs[t + 1] = h_t (H), hs[0] = h0
    const hs: Float64Array[] = [new Float64Array(H)];
    if (opts.h0) for (let j = 0; j < H; j++) hs[0][j] = opts.h0[b * H + j];
    const xOf = (t: number) => t * B + b; // row of step t
    /** a_t = diag(φ') (∂z_t/∂θ + m·W_hh a_{t−1}), with m = ξ_t (0: the sum starts at t). */
    const sens = (t: number, prev: Float64Array | null, m: number): Float64Array => {
      const a = new Float64Array(H * P), h = hs[t + 1], hPrev = hs[t], r = xOf(t);
      for (let j = 0; j < H; j++) {
        const D = dphi(c.activation, h[j]);
        const row = a.subarray(j * P, (j + 1) * P);
        // b_t: ∂z_j/∂W_hx[j, k] = x_t[k]; ∂z_j/∂W_hh[j, k] = h_{t−1}[k]; ∂z_j/∂b_h[j] = 1
        if (c.input === 'tokens') row[j * d + batch.tokens![r]] = 1;
        else for (let k = 0; k < d; k++) row[j * d + k] = batch.x![r * d + k];
        for (let k = 0; k < H; k++) row[oHh + j * H + k] = hPrev[k];
        if (c.bias) row[oB + j] = 1;
        // + ξ_t W_hh a_{t−1}: c_t a_{t−1} before the diag(φ')
        if (prev && m !== 0) for (let k = 0; k < H; k++) {
          const f = m * w.W_hh[j * H + k];
          if (f !== 0) for (let p = 0; p < P; p++) row[p] += f * prev[k * P + p];
        }
        for (let p = 0; p < P; p++) row[p] *= D;
      }
      return a;
    };

    let a: Float64Array | null = null; // a_{t−1} (full and randomized)
    for (let t = 0; t < T; t++) {
      const r = xOf(t), hPrev = hs[t], h = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        let z = c.bias ? w.b_h[j] : 0;
        if (c.input === 'tokens') z += w.W_hx[j * d + batch.tokens![r]];
        else for (let k = 0; k < d; k++) z += w.W_hx[j * d + k] * batch.x![r * d + k];
        for (let k = 0; k < H; k++) z += w.W_hh[j * H + k] * hPrev[k];
        h[j] = phi(c.activation, z);
      }
      hs.push(h);
      // ---- o_t, the loss at t and ∂L/∂o_t (Q)
      const o = new Float64Array(Q);
      for (let q = 0; q < Q; q++) {
        let s = c.bias ? w.b_q[q] : 0;
        for (let j = 0; j < H; j++) s += w.W_qh[q * H + j] * h[j];
        o[q] = s;
      }
      const { dO, lossRows } = c.loss === 'softmax-xent' ? softmaxXent64(o, [batch.targets![r]], 1, Q, scale) : mse64(o, Array.from({ length: Q }, (_, q) => batch.y![r * Q + q]), 1, Q, scale);
      loss += lossRows[0];
      // ---- a_t = ∂h_t/∂θ, carried (full, ξ) or summed over the last τ + 1 terms (the chapter's regular)
      if (opts.tau === undefined) a = sens(t, a, xi(t, b));
      else {
        a = null;
        for (let i = Math.max(0, t - opts.tau); i <= t; i++) a = sens(i, a, xi(i, b));
      }
      // ---- ∂L/∂θ += (W_qhᵀ ∂L/∂o_t)ᵀ a_t ; the output layer's own gradient
      for (let j = 0; j < H; j++) {
        let gh = 0;
        for (let q = 0; q < Q; q++) gh += w.W_qh[q * H + j] * dO[q];
        if (gh !== 0) for (let p = 0; p < P; p++) gTheta[p] += gh * a![j * P + p];
      }
      for (let q = 0; q < Q; q++) {
        for (let j = 0; j < H; j++) g.W_qh[q * H + j] += dO[q] * h[j];
        if (g.b_q) g.b_q[q] += dO[q];
      }
    }
  }
  g.W_hx = gTheta.slice(0, oHh);
  g.W_hh = gTheta.slice(oHh, oB);
  if (c.bias) g.b_h = gTheta.slice(oB, P);
  return { loss, grads: g };
}

/** Forward mode beside reverse mode for one truncation: the study's "forward = reverse" numbers. */
export interface ForwardVsReverse {
  /** The truncation, in words. */
  truncation: string;
  loss: number;
  /** Forward mode (this file). */
  forward: Weights<Float64Array>;
  /** Reverse mode (referenceCells; the chapter's regular(τ) as TBPTT(1, τ + 1)). */
  reverse: Weights<Float64Array>;
  /** max over tensors of max|forward − reverse| / max|reverse|. */
  maxRelError: number;
}

/**
 * The same gradient two ways: forward in time (rtrlGradients) and backward
 * in time (referenceCells, with TBPTT(1, τ + 1) for the chapter's `tau`).
 */
export function forwardVsReverse(c: RnnConfig, w: Weights<Tensor>, batch: Batch, opts: RtrlOptions = {}): ForwardVsReverse {
  const fwd = rtrlGradients(c, w, batch, opts);
  const rev = referenceCells(c, w, batch, {
    h0: opts.h0 ? [opts.h0] : undefined,
    xi: opts.xi,
    tbptt: opts.tau === undefined ? undefined : { k1: 1, k2: opts.tau + 1 },
    scale: opts.scale,
  });
  let worst = 0;
  for (const name of Object.keys(rev.grads)) {
    let num = 0, den = 0;
    rev.grads[name].forEach((v, i) => {
      num = Math.max(num, Math.abs(fwd.grads[name][i] - v));
      den = Math.max(den, Math.abs(v));
    });
    worst = Math.max(worst, den > 0 ? num / den : num);
  }
  const what = opts.tau !== undefined ? `regular, sum terminated after τ = ${opts.tau} steps` : opts.xi !== undefined ? 'with ξ' : 'full';
  return { truncation: what, loss: fwd.loss, forward: fwd.grads, reverse: rev.grads, maxRelError: worst };
}
