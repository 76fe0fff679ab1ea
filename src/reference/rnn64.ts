// The float64 reference: forward pass, loss and backpropagation through time
// in plain loops, exactly the chapter's equations. Every other result in
// webgpu-bptt is checked against this file, and this file against centred
// finite differences (test/reference.test.ts).
//
// Notation and shapes (all row-major, time-major: row r = t·B + b):
//   W_hx: (H, d)  W_hh: (H, H)  W_qh: (Q, H)  b_h: (H)  b_q: (Q)
//   x_t: token id (one-hot over d = V) or a vector (d)
//   h:   (T + 1, B, H)   h[0] = h0, h[t + 1] = state after step t
//   o:   (T, B, Q)
//   L = scale · Σ_t Σ_b l(o_t, y_t),  scale = 1/(B·T) by default
import type { RnnConfig } from '../model/config';
import { paramShapes, type Weights, type Tensor } from '../model/params';
import { phi, dphi } from './phi';

/** A minibatch for the reference, time-major (row r = t·B + b). */
export interface Batch {
  /** Batch size B and steps T. */
  B: number;
  T: number;
  /** tokens: (T, B) ids < V, for input 'tokens'. */
  tokens?: ArrayLike<number>;
  /** x: (T, B, d), for input 'dense'. */
  x?: ArrayLike<number>;
  /** targets: (T, B) class ids < Q, for loss 'softmax-xent'. */
  targets?: ArrayLike<number>;
  /** y: (T, B, Q), for loss 'mse'. */
  y?: ArrayLike<number>;
}

/** Initial state, per-step multipliers and loss scale of a reference pass. */
export interface ReferenceOptions {
  /** h0: (B, H); zeros when absent. */
  h0?: ArrayLike<number>;
  /** xi: (T); xi[t] multiplies the gradient from step t into the state before it. Default all 1. */
  xi?: ArrayLike<number>;
  /** Loss scale; default 1/(B·T) (the mean over all positions). */
  scale?: number;
}

/** Everything the reference computes, in float64. */
export interface ReferenceResult {
  loss: number;
  grads: Weights<Float64Array>;
  /** h: (T + 1, B, H). */
  h: Float64Array;
  /** o: (T, B, Q). */
  o: Float64Array;
  /** ∂L/∂h0 (B, H), including the factor xi[0]. */
  dh0: Float64Array;
  /** ‖∂L/∂h_t‖ over the batch, per step t (T). */
  dhNorms: Float64Array;
}


/**
 * Forward, loss and backpropagation through time in float64 (plain loops),
 * with the per-step multipliers ξ of ReferenceOptions.xi.
 */
export function referenceForwardBackward(c: RnnConfig, w: Weights<Tensor>, batch: Batch, opts: ReferenceOptions = {}): ReferenceResult {
  const { B, T } = batch;
  const H = c.hidden, d = c.inputSize, Q = c.outputSize;
  const scale = opts.scale ?? 1 / (B * T);
  const xi = (t: number) => (opts.xi ? opts.xi[t] : 1);
  const bh = (j: number) => (c.bias ? w.b_h![j] : 0);
  const bq = (q: number) => (c.bias ? w.b_q![q] : 0);

  // ---- forward: h_t = φ(W_hx x_t + W_hh h_{t-1} + b_h), o_t = W_qh h_t + b_q
  const h = new Float64Array((T + 1) * B * H);
  if (opts.h0) for (let i = 0; i < B * H; i++) h[i] = opts.h0[i];
  const o = new Float64Array(T * B * Q);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      const prev = r * H; // h[t][b]
      const next = (r + B) * H; // h[t + 1][b]
      for (let j = 0; j < H; j++) {
        let z = bh(j);
        if (c.input === 'tokens') z += w.W_hx[j * d + batch.tokens![r]];
        else for (let k = 0; k < d; k++) z += w.W_hx[j * d + k] * batch.x![r * d + k];
        for (let k = 0; k < H; k++) z += w.W_hh[j * H + k] * h[prev + k];
        h[next + j] = phi(c.activation, z);
      }
      for (let q = 0; q < Q; q++) {
        let s = bq(q);
        for (let j = 0; j < H; j++) s += w.W_qh[q * H + j] * h[next + j];
        o[r * Q + q] = s;
      }
    }
  }

  // ---- loss and ∂L/∂o_t
  let loss = 0;
  const dO = new Float64Array(T * B * Q);
  for (let r = 0; r < T * B; r++) {
    const row = r * Q;
    if (c.loss === 'softmax-xent') {
      let m = -Infinity;
      for (let q = 0; q < Q; q++) m = Math.max(m, o[row + q]);
      let se = 0;
      for (let q = 0; q < Q; q++) se += Math.exp(o[row + q] - m);
      const y = batch.targets![r];
      loss += scale * (m + Math.log(se) - o[row + y]);
      for (let q = 0; q < Q; q++) dO[row + q] = scale * (Math.exp(o[row + q] - m) / se - (q === y ? 1 : 0));
    } else {
      for (let q = 0; q < Q; q++) {
        const diff = o[row + q] - batch.y![row + q];
        loss += (scale * diff * diff) / Q;
        dO[row + q] = (scale * 2 * diff) / Q;
      }
    }
  }

  // ---- backward through time
  const g: Weights<Float64Array> = {
    W_hx: new Float64Array(H * d),
    W_hh: new Float64Array(H * H),
    W_qh: new Float64Array(Q * H),
  };
  if (c.bias) {
    g.b_h = new Float64Array(H);
    g.b_q = new Float64Array(Q);
  }
  const carry = new Float64Array(B * H); // gradient flowing into the state h[t + 1] from step t + 1
  const dh = new Float64Array(H);
  const dz = new Float64Array(H);
  const dhNorms = new Float64Array(T);
  for (let t = T - 1; t >= 0; t--) {
    let norm2 = 0;
    for (let b = 0; b < B; b++) {
      const r = t * B + b;
      const hPrev = r * H, hCur = (r + B) * H;
      // ∂L/∂W_qh += ∂L/∂o_t h_tᵀ ; ∂L/∂b_q += ∂L/∂o_t
      for (let q = 0; q < Q; q++) {
        const g_o = dO[r * Q + q];
        for (let j = 0; j < H; j++) g.W_qh[q * H + j] += g_o * h[hCur + j];
        if (g.b_q) g.b_q[q] += g_o;
      }
      // ∂L/∂h_t = W_qhᵀ ∂L/∂o_t + carry ; ∂L/∂z_t = ∂L/∂h_t ⊙ φ'(z_t)
      for (let j = 0; j < H; j++) {
        let s = carry[b * H + j];
        for (let q = 0; q < Q; q++) s += w.W_qh[q * H + j] * dO[r * Q + q];
        dh[j] = s;
        norm2 += s * s;
        dz[j] = s * dphi(c.activation, h[hCur + j]);
      }
      // ∂L/∂W_hx += ∂L/∂z_t x_tᵀ ; ∂L/∂W_hh += ∂L/∂z_t h_{t-1}ᵀ ; ∂L/∂b_h += ∂L/∂z_t
      for (let j = 0; j < H; j++) {
        if (c.input === 'tokens') g.W_hx[j * d + batch.tokens![r]] += dz[j];
        else for (let k = 0; k < d; k++) g.W_hx[j * d + k] += dz[j] * batch.x![r * d + k];
        for (let k = 0; k < H; k++) g.W_hh[j * H + k] += dz[j] * h[hPrev + k];
        if (g.b_h) g.b_h[j] += dz[j];
      }
      // into the state before step t: ξ_t · W_hhᵀ ∂L/∂z_t
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += w.W_hh[j * H + k] * dz[j];
        carry[b * H + k] = xi(t) === 0 ? 0 : xi(t) * s;
      }
    }
    dhNorms[t] = Math.sqrt(norm2);
  }
  return { loss, grads: g, h, o, dh0: carry, dhNorms };
}

/** The loss alone (for finite differences). */
export function referenceLoss(c: RnnConfig, w: Weights<Tensor>, batch: Batch, opts: ReferenceOptions = {}): number {
  return referenceForwardBackward(c, w, batch, opts).loss;
}

/** Weights as Float64Array copies. */
export function toFloat64(c: RnnConfig, w: Weights<Tensor>): Weights<Float64Array> {
  const out: Partial<Weights<Float64Array>> = {};
  for (const [name] of paramShapes(c)) out[name] = Float64Array.from(w[name]!);
  return out as Weights<Float64Array>;
}
