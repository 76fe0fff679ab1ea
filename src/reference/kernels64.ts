// Float64 references for each WGSL kernel, one plain function per kernel,
// with the kernel's own argument conventions (row-major, element offsets).
// test/kernels.test.ts checks every kernel against these on a real device.

import { phi as act, dphi as dact } from './phi';

/** matmul.wgsl: C = beta·C + op(A)·op(B) (+ bias) then activation. A: (M,K) or (K,M) if transA; B: (K,N) or (N,K) if transB. */
export function matmul64(
  A: ArrayLike<number>, B: ArrayLike<number>, M: number, N: number, K: number,
  o: { transA?: boolean; transB?: boolean; bias?: ArrayLike<number>; activation?: 'identity' | 'tanh' | 'relu'; C?: ArrayLike<number>; beta?: number } = {},
): Float64Array {
  const C = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = o.transA ? A[k * M + m] : A[m * K + k];
        const b = o.transB ? B[n * K + k] : B[k * N + n];
        s += a * b;
      }
      if (o.beta && o.C) s += o.beta * o.C[m * N + n];
      if (o.bias) s += o.bias[n];
      C[m * N + n] = act(o.activation ?? 'identity', s);
    }
  }
  return C;
}

/** embed_gather.wgsl: Zx[r, j] = W_hx[j, tokens[r]] (+ b_h[j]). W_hx: (H, V). */
export function embedGather64(W_hx: ArrayLike<number>, tokens: ArrayLike<number>, H: number, V: number, b_h?: ArrayLike<number>): Float64Array {
  const R = tokens.length;
  const Zx = new Float64Array(R * H);
  for (let r = 0; r < R; r++) for (let j = 0; j < H; j++) Zx[r * H + j] = W_hx[j * V + tokens[r]] + (b_h ? b_h[j] : 0);
  return Zx;
}

/** embed_grad.wgsl: dW_hx[j, v] = Σ_{r: tokens[r] = v} dZ[r, j]. */
export function embedGrad64(dZ: ArrayLike<number>, tokens: ArrayLike<number>, H: number, V: number): Float64Array {
  const G = new Float64Array(H * V);
  for (let r = 0; r < tokens.length; r++) for (let j = 0; j < H; j++) G[j * V + tokens[r]] += dZ[r * H + j];
  return G;
}

/** colsum.wgsl: out[c] = Σ_r X[r, c]. */
export function colsum64(X: ArrayLike<number>, R: number, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let r = 0; r < R; r++) for (let c = 0; c < N; c++) out[c] += X[r * N + c];
  return out;
}

/** rnn_forward.wgsl: Hs[t + 1] = φ(Zx[t] + W_hh Hs[t] [+ b_hh]) for t < T. Hs[0] given. */
export function rnnForward64(W_hh: ArrayLike<number>, Zx: ArrayLike<number>, h0: ArrayLike<number>, B: number, T: number, H: number, a: 'identity' | 'tanh' | 'relu', b_hh?: ArrayLike<number>): Float64Array {
  const Hs = new Float64Array((T + 1) * B * H);
  for (let i = 0; i < B * H; i++) Hs[i] = h0[i];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        let z = Zx[(t * B + b) * H + j] + (b_hh ? b_hh[j] : 0);
        for (let k = 0; k < H; k++) z += W_hh[j * H + k] * Hs[(t * B + b) * H + k];
        Hs[((t + 1) * B + b) * H + j] = act(a, z);
      }
    }
  }
  return Hs;
}

/**
 * rnn_backward.wgsl: dH[t] = m_t·dHo[t] + carry, dZ[t] = dH[t] ⊙ φ'(Hs[t+1]);
 * carry = ξ_{t,b} W_hhᵀ dZ[t]. xi: (T, B); mask: (T). Returns dZ, dH and the final carry.
 */
export function rnnBackward64(
  W_hh: ArrayLike<number>, Hs: ArrayLike<number>, dHo: ArrayLike<number>, xi: ArrayLike<number>, mask: ArrayLike<number>, dHc: ArrayLike<number>,
  B: number, T: number, H: number, a: 'identity' | 'tanh' | 'relu',
): { dZ: Float64Array; dH: Float64Array; carry: Float64Array } {
  const dZ = new Float64Array(T * B * H);
  const dH = new Float64Array(T * B * H);
  const carry = Float64Array.from(dHc);
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * H;
      for (let j = 0; j < H; j++) {
        dH[row + j] = mask[t] * dHo[row + j] + carry[b * H + j];
        dZ[row + j] = dH[row + j] * dact(a, Hs[row + B * H + j]);
      }
      const x = xi[t * B + b];
      for (let k = 0; k < H; k++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += W_hh[j * H + k] * dZ[row + j];
        carry[b * H + k] = x === 0 ? 0 : x * s;
      }
    }
  }
  return { dZ, dH, carry };
}

/** softmax_xent.wgsl: per-row scaled loss and dO. */
export function softmaxXent64(O: ArrayLike<number>, targets: ArrayLike<number>, R: number, Q: number, scale: number, r0 = 0) {
  const dO = new Float64Array(R * Q);
  const lossRows = new Float64Array(R);
  for (let r = r0; r < R; r++) {
    let m = -Infinity;
    for (let q = 0; q < Q; q++) m = Math.max(m, O[r * Q + q]);
    let se = 0;
    for (let q = 0; q < Q; q++) se += Math.exp(O[r * Q + q] - m);
    lossRows[r] = scale * (m + Math.log(se) - O[r * Q + targets[r]]);
    for (let q = 0; q < Q; q++) dO[r * Q + q] = scale * (Math.exp(O[r * Q + q] - m) / se - (q === targets[r] ? 1 : 0));
  }
  return { dO, lossRows };
}

/** mse_loss.wgsl: per-row scaled loss (1/Q)Σ(o−y)² and dO. */
export function mse64(O: ArrayLike<number>, Y: ArrayLike<number>, R: number, Q: number, scale: number, r0 = 0) {
  const dO = new Float64Array(R * Q);
  const lossRows = new Float64Array(R);
  for (let r = r0; r < R; r++) {
    for (let q = 0; q < Q; q++) {
      const d = O[r * Q + q] - Y[r * Q + q];
      lossRows[r] += (scale * d * d) / Q;
      dO[r * Q + q] = (scale * 2 * d) / Q;
    }
  }
  return { dO, lossRows };
}

/** reduce_sum.wgsl: Σ x (or Σ x²). */
export function reduceSum64(X: ArrayLike<number>, square = false): number {
  let s = 0;
  for (let i = 0; i < X.length; i++) s += square ? X[i] * X[i] : X[i];
  return s;
}

export interface UpdateState {
  s1: Float64Array;
  s2: Float64Array;
  step: number;
}

/**
 * clip_update.wgsl: global-norm clip then one optimizer step, in place on P.
 * Returns the norm and whether the step was skipped (non-finite loss or norm).
 */
export function clipUpdate64(
  P: Float64Array, G: ArrayLike<number>, loss: number, st: UpdateState,
  o: { kind: 'sgd' | 'adagrad' | 'adam'; lr: number; clip: number; beta1?: number; beta2?: number; eps?: number },
): { norm: number; scale: number; skipped: boolean } {
  const norm = Math.sqrt(reduceSum64(G, true));
  if (!Number.isFinite(loss) || !Number.isFinite(norm)) return { norm, scale: 0, skipped: true };
  st.step += 1;
  const scale = o.clip > 0 && norm > o.clip ? o.clip / norm : 1;
  const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999, eps = o.eps ?? 1e-8;
  for (let i = 0; i < P.length; i++) {
    const g = scale * G[i];
    if (o.kind === 'sgd') P[i] -= o.lr * g;
    else if (o.kind === 'adagrad') {
      st.s1[i] += g * g;
      P[i] -= (o.lr * g) / (Math.sqrt(st.s1[i]) + eps);
    } else {
      st.s1[i] = b1 * st.s1[i] + (1 - b1) * g;
      st.s2[i] = b2 * st.s2[i] + (1 - b2) * g * g;
      const mh = st.s1[i] / (1 - Math.pow(b1, st.step));
      const vh = st.s2[i] / (1 - Math.pow(b2, st.step));
      P[i] -= (o.lr * mh) / (Math.sqrt(vh) + eps);
    }
  }
  return { norm, scale, skipped: false };
}

/** transpose.wgsl: out (cols, rows) = Xᵀ for an (rows, cols) row-major X starting at element xOffset. */
export function transpose64(X: ArrayLike<number>, rows: number, cols: number, xOffset = 0): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = X[xOffset + r * cols + c];
  return out;
}

/** segment_norms.wgsl: out[s] = ‖X[s·len … (s+1)·len)‖ for S segments. */
export function segmentNorms64(X: ArrayLike<number>, segments: number, len: number, xOffset = 0): Float64Array {
  const out = new Float64Array(segments);
  for (let s = 0; s < segments; s++) {
    let acc = 0;
    for (let i = 0; i < len; i++) acc += X[xOffset + s * len + i] * X[xOffset + s * len + i];
    out[s] = Math.sqrt(acc);
  }
  return out;
}

/**
 * power_iteration.wgsl: from the shader's fixed start vector
 * v_0[j] ∝ ((j·2654435761) xor 0x9e3779b9 mod 2001) / 1000 − 0.999 (u32
 * arithmetic), growth[i] = ‖W v_i‖ and v_{i+1} = W v_i / ‖W v_i‖ for i < iters.
 * W: (H, H) row-major at wOffset.
 */
export function powerIteration64(W: ArrayLike<number>, H: number, iters: number, wOffset = 0): Float64Array {
  let v = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    const hsh = (Math.imul(j, 2654435761) ^ 0x9e3779b9) >>> 0;
    v[j] = (hsh % 2001) / 1000 - 1 + 0.001;
  }
  const n0 = Math.hypot(...v);
  v = v.map((x) => x / n0);
  const growth = new Float64Array(iters);
  for (let i = 0; i < iters; i++) {
    const y = new Float64Array(H);
    for (let j = 0; j < H; j++) for (let k = 0; k < H; k++) y[j] += W[wOffset + j * H + k] * v[k];
    let ss = 0;
    for (let j = 0; j < H; j++) ss += y[j] * y[j];
    growth[i] = Math.sqrt(ss);
    v = y.map((x) => (growth[i] > 0 ? x / growth[i] : 0));
  }
  return growth;
}

/**
 * carry_state.wgsl: h0[i] = last[i] unless the last step was skipped
 * (stats word 4 ≠ 0) or last[i] is not finite, in which case 0; i < n.
 */
export function carryState64(last: ArrayLike<number>, skipped: boolean, n: number): Float64Array {
  const h0 = new Float64Array(n);
  for (let i = 0; i < n; i++) h0[i] = !skipped && Number.isFinite(last[i]) ? last[i] : 0;
  return h0;
}

/** accumulate.wgsl: y = x + beta·y (beta 0 overwrites whatever y held). */
export function accumulate64(x: ArrayLike<number>, y: ArrayLike<number>, beta: number): Float64Array {
  return Float64Array.from(x, (v, i) => (beta === 0 ? v : v + beta * y[i]));
}
