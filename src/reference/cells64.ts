// The float64 reference for every cell and depth: forward, loss and
// backpropagation through time in plain loops, with PyTorch's equations, gate
// order and parameter layout, and every truncation (ξ per step or per
// sequence, TBPTT(k1, k2), both at once). Checked against centred finite
// differences (test/reference-cells.test.ts) and against gradients PyTorch
// itself wrote (test/golden-torch.test.ts).
//
// Cells (per layer; x = the layer's input, h, c = its state from the step before):
//   rnn:  h' = φ(W_ih x + b_ih + W_hh h + b_hh)                  (the chapter's model: W_hx, W_hh, b_h)
//   lstm: a = W_ih x + b_ih + W_hh h + b_hh, split (i, f, g, o)
//         c' = σ(a_f)⊙c + σ(a_i)⊙tanh(a_g);  h' = σ(a_o)⊙tanh(c')
//   gru:  r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz)
//         n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn));  h' = (1 − z)⊙n + z⊙h
// Layer l's input is layer l − 1's h (layer 0's is x_t); o_t = W_qh h_t(top) + b_q.
//
// Shapes (row-major, time-major: row r = t·B + b; G = 1, 4, 3 gates; in = d or H):
//   weight_ih_l{k}: (G·H, in)  weight_hh_l{k}: (G·H, H)  bias_*_l{k}: (G·H)  W_qh: (Q, H)  b_q: (Q)
//   hs[l]: (T + 1, B, H), hs[l][0] = h0[l], hs[l][t + 1] = h_t   (cs[l] likewise for LSTM)
//   acts[l]: (T, B, G·H) the gates after their nonlinearity (rnn: h itself)
//   o: (T, B, Q);  L = scale · Σ_t Σ_b w_{t,b} l(o_t, y_t), w = lossWeights
//   (default 1) on real steps and 0 on padded ones, scale = 1 / Σ w by default
//   (1/(B·T) without lengths or weights: the chapter's mean)
//
// Sequence lengths. Step t of sequence b is real iff t < lengths[b]. A padded
// step holds every layer's state (h_{t+1} = h_t, c_{t+1} = c_t) and has no
// loss; in the backward pass its Jacobian is the identity, so ∂L/∂h passes
// through it unchanged (times ξ like any link) and it adds nothing to the
// weight gradients. The state after the window is each sequence's state after
// its last real step, as PyTorch's packed sequences give.
//
// Truncation. ξ[b][t] (or the shared ξ[t]) multiplies the gradient flowing from
// step t into every layer's state from step t − 1 (h, and c for LSTM).
// TBPTT(k1, k2): the loss at step t backpropagates into h_t … h_j,
// j = max(0, (⌊t/k1⌋ + 1)·k1 − k2), and the link from h_{j−1} into h_j is cut.
// By definition that is one reverse sweep per loss, from t down to its j.
// All losses of a block m (steps m·k1 … m·k1 + k1 − 1) share their j and the
// backward pass is linear in the losses, so this file runs one sweep per
// block — the block's losses together, from its last step down to its j —
// which sums to exactly the per-loss sweeps. Without TBPTT there is one block
// (every loss, j = 0): ordinary BPTT with ξ.
import type { RnnConfig } from '../model/config';
import { GATES } from '../model/config';
import { layerNames, paramShapes, checkWeights, type Weights, type Tensor } from '../model/params';
import { BpttError, requireInt, show } from '../errors';
import { softmaxXent64, mse64 } from './kernels64';
import type { Batch } from './rnn64';
import { phi, dphi } from './phi';

/** Initial states, truncation and loss scale of a referenceCells pass. */
export interface CellsOptions {
  /** h0 per layer, each (B·H), row b·H + j; zeros when absent. */
  h0?: readonly ArrayLike<number>[];
  /** c0 per layer (LSTM), each (B·H); zeros when absent. */
  c0?: readonly ArrayLike<number>[];
  /**
   * ξ shared by the batch (T), or per sequence [B][T]: xi[b][t] scales the
   * gradient from step t into every layer's state from step t − 1 (h and c)
   * of sequence b. Default all 1.
   */
  xi?: ArrayLike<number> | readonly ArrayLike<number>[];
  /** Williams & Peng's TBPTT(k1, k2), 1 ≤ k1 ≤ k2 (combines with xi). */
  tbptt?: { k1: number; k2: number };
  /** (B) sequence lengths in [0, T]: steps t ≥ lengths[b] are padding (default T). */
  lengths?: ArrayLike<number>;
  /** (T·B) loss weights ≥ 0, time-major (default 1). */
  lossWeights?: ArrayLike<number>;
  /** Loss scale; default 1 / Σ w over the real steps (1/(B·T) without lengths or weights). */
  scale?: number;
}

/** Everything referenceCells computes, in float64. */
export interface CellsResult {
  loss: number;
  /** Exactly the keys of paramShapes(c). */
  grads: Weights<Float64Array>;
  /** o: (T, B, Q). */
  o: Float64Array;
  /** The state after the last step, per layer (B·H). */
  hLast: Float64Array[];
  /** LSTM: the cell state after the last step, per layer (B·H). */
  cLast?: Float64Array[];
  /** ‖∂L/∂h_t‖ of the top layer over the batch, per step t (T). */
  dhNorms: Float64Array;
  /** LSTM: ‖∂L/∂c_t‖ of the top layer over the batch, per step t (T). */
  dcNorms?: Float64Array;
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

/** y[0..rows) += W (rows × n) · x[xo .. xo + n). */
function matVec(y: Float64Array, W: ArrayLike<number>, rows: number, n: number, x: ArrayLike<number>, xo: number) {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += W[i * n + k] * x[xo + k];
    y[i] += s;
  }
}

/** y[0..n) += Wᵀ (W: rows × n) · v[0..rows). */
function matTVec(y: Float64Array, W: ArrayLike<number>, rows: number, n: number, v: ArrayLike<number>) {
  for (let i = 0; i < rows; i++) for (let k = 0; k < n; k++) y[k] += W[i * n + k] * v[i];
}

/** dW (rows × n) += v xᵀ (x = x[xo .. xo + n)). */
function outer(dW: Float64Array, v: ArrayLike<number>, rows: number, n: number, x: ArrayLike<number>, xo: number) {
  for (let i = 0; i < rows; i++) for (let k = 0; k < n; k++) dW[i * n + k] += v[i] * x[xo + k];
}

const isTwoD = (xi: CellsOptions['xi']) => xi !== undefined && typeof (xi as ArrayLike<unknown>)[0] === 'object';

function checkOptions(c: RnnConfig, batch: Batch, o: CellsOptions) {
  const { B, T } = batch, L = c.layers ?? 1, BH = B * c.hidden;
  for (const [name, states] of [['h0', o.h0], ['c0', o.c0]] as const) {
    if (!states) continue;
    if (name === 'c0' && c.cell !== 'lstm') throw new BpttError('c0', 'given', `only an LSTM has a cell state (cell = ${show(c.cell ?? 'rnn')})`);
    if (states.length !== L) throw new BpttError(name, `${states.length} layers`, `must have one state per layer (${L})`);
    states.forEach((s, l) => {
      if (s.length !== BH) throw new BpttError(`${name}[${l}]`, `length ${s.length}`, `must be B·H = ${BH}`);
    });
  }
  if (o.xi !== undefined) {
    const twoD = isTwoD(o.xi);
    const rows = twoD ? (o.xi as readonly ArrayLike<number>[]) : [o.xi as ArrayLike<number>];
    if (twoD && rows.length !== B) throw new BpttError('xi', `${rows.length} rows`, `a 2-D xi needs one row per sequence (B = ${B})`);
    rows.forEach((r, b) => {
      if (r.length < T) throw new BpttError(twoD ? `xi[${b}]` : 'xi', `length ${r.length}`, `must have one multiplier per step (${T})`);
    });
  }
  if (o.lengths !== undefined) {
    if (o.lengths.length !== B) throw new BpttError('lengths', `length ${o.lengths.length}`, `must have one length per sequence (B = ${B})`);
    for (let b = 0; b < B; b++) requireInt(`lengths[${b}]`, o.lengths[b], 0, T);
  }
  if (o.lossWeights !== undefined && o.lossWeights.length !== T * B) throw new BpttError('lossWeights', `length ${o.lossWeights.length}`, `must have T·B = ${T * B} entries`);
  if (o.tbptt) {
    const k1 = requireInt('tbptt.k1', o.tbptt.k1, 1, 1 << 20);
    const k2 = requireInt('tbptt.k2', o.tbptt.k2, 1, 1 << 20);
    if (k2 < k1) throw new BpttError('tbptt.k2', String(k2), `must be ≥ k1 = ${k1}`);
  }
}

/** What the forward pass keeps for the backward (shapes at the top of this file). */
interface Forward {
  /** The weights under the layout's names. */
  w: Weights<Tensor>;
  hs: Float64Array[];
  cs: Float64Array[];
  acts: Float64Array[];
  /** GRU: W_hn h_{t−1} + b_hn per layer (T, B, H). */
  ghn: Float64Array[];
  /** Layer l's input at row r = t·B + b: [array, offset]. */
  input: (l: number, r: number) => [Float64Array, number];
  o: Float64Array;
  dO: Float64Array;
  loss: number;
  /** Step t of sequence b is real (not padding). */
  real: (t: number, b: number) => boolean;
}

/** The forward pass and the loss. */
function forward(c: RnnConfig, given: Weights<Tensor>, batch: Batch, opts: CellsOptions): Forward {
  const w = checkWeights(c, given); // under the layout's names (a one-layer rnn may come under PyTorch's)
  checkOptions(c, batch, opts);
  const { B, T } = batch;
  const cell = c.cell ?? 'rnn', L = c.layers ?? 1, G = GATES[cell];
  const H = c.hidden, d = c.inputSize, Q = c.outputSize, GH = G * H;
  const lstm = cell === 'lstm', gru = cell === 'gru';
  // real steps and the loss weight of each row
  const real = (t: number, b: number) => opts.lengths === undefined || t < opts.lengths[b];
  const weight = new Float64Array(T * B);
  let sum = 0;
  for (let r = 0; r < T * B; r++) {
    weight[r] = real(Math.floor(r / B), r % B) ? (opts.lossWeights ? opts.lossWeights[r] : 1) : 0;
    sum += weight[r];
  }
  if (!(sum > 0) && opts.scale === undefined) throw new BpttError('lossWeights', 'all 0 on the real steps', 'at least one real step must carry loss weight');
  const scale = opts.scale ?? 1 / sum;
  const names = Array.from({ length: L }, (_, l) => layerNames(c, l));
  const inSize = (l: number) => (l === 0 ? d : H);

  // ---- layer 0's input x_t as dense rows (T·B, d): a one-hot row for a token
  const X0 = new Float64Array(T * B * d);
  for (let r = 0; r < T * B; r++) {
    if (c.input === 'tokens') X0[r * d + batch.tokens![r]] = 1;
    else for (let k = 0; k < d; k++) X0[r * d + k] = batch.x![r * d + k];
  }
  const hs = Array.from({ length: L }, (_, l) => {
    const s = new Float64Array((T + 1) * B * H);
    if (opts.h0) s.set(Array.from(opts.h0[l]));
    return s;
  });
  const cs = lstm
    ? Array.from({ length: L }, (_, l) => {
        const s = new Float64Array((T + 1) * B * H);
        if (opts.c0) s.set(Array.from(opts.c0[l]));
        return s;
      })
    : [];
  const acts = Array.from({ length: L }, () => new Float64Array(T * B * GH));
  const ghn = gru ? Array.from({ length: L }, () => new Float64Array(T * B * H)) : []; // W_hn h + b_hn
  const input = (l: number, r: number): [Float64Array, number] => (l === 0 ? [X0, r * d] : [hs[l - 1], (r + B) * H]);

  // ---- forward, step by step, layer by layer
  const gi = new Float64Array(GH), gh = new Float64Array(GH);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const r = t * B + b, prev = r * H, next = (r + B) * H;
      for (let l = 0; l < L; l++) {
        const n = names[l], [x, xo] = input(l, r), a = acts[l], ao = r * GH;
        if (!real(t, b)) {
          // padding: the state is held (acts stay 0)
          for (let j = 0; j < H; j++) hs[l][next + j] = hs[l][prev + j];
          if (lstm) for (let j = 0; j < H; j++) cs[l][next + j] = cs[l][prev + j];
          continue;
        }
        // gi = W_ih x + b_ih (G·H) ; gh = W_hh h_{t−1} + b_hh (G·H)
        gi.fill(0);
        gh.fill(0);
        matVec(gi, w[n.W_ih], GH, inSize(l), x, xo);
        matVec(gh, w[n.W_hh], GH, H, hs[l], prev);
        for (let i = 0; i < GH; i++) {
          if (n.b_ih) gi[i] += w[n.b_ih][i];
          if (n.b_hh) gh[i] += w[n.b_hh][i];
        }
        for (let j = 0; j < H; j++) {
          if (cell === 'rnn') {
            a[ao + j] = hs[l][next + j] = phi(c.activation, gi[j] + gh[j]);
          } else if (lstm) {
            const ig = sigmoid(gi[j] + gh[j]), fg = sigmoid(gi[H + j] + gh[H + j]);
            const gg = Math.tanh(gi[2 * H + j] + gh[2 * H + j]), og = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
            [a[ao + j], a[ao + H + j], a[ao + 2 * H + j], a[ao + 3 * H + j]] = [ig, fg, gg, og];
            const cNew = fg * cs[l][prev + j] + ig * gg;
            cs[l][next + j] = cNew;
            hs[l][next + j] = og * Math.tanh(cNew);
          } else {
            const rg = sigmoid(gi[j] + gh[j]), zg = sigmoid(gi[H + j] + gh[H + j]);
            const ng = Math.tanh(gi[2 * H + j] + rg * gh[2 * H + j]);
            [a[ao + j], a[ao + H + j], a[ao + 2 * H + j]] = [rg, zg, ng];
            ghn[l][r * H + j] = gh[2 * H + j];
            hs[l][next + j] = (1 - zg) * ng + zg * hs[l][prev + j];
          }
        }
      }
    }
  }
  const top = hs[L - 1];
  const o = new Float64Array(T * B * Q);
  for (let r = 0; r < T * B; r++) {
    for (let q = 0; q < Q; q++) {
      let s = c.bias ? w.b_q[q] : 0;
      for (let j = 0; j < H; j++) s += w.W_qh[q * H + j] * top[(r + B) * H + j];
      o[r * Q + q] = s;
    }
  }

  // ---- loss and ∂L/∂o_t (T, B, Q)
  // (padded rows' targets are not read: any value stands there)
  const targets = c.loss === 'softmax-xent' ? Array.from({ length: T * B }, (_, r) => (weight[r] > 0 ? batch.targets![r] : 0)) : undefined;
  const y = c.loss === 'mse' ? Array.from({ length: T * B * Q }, (_, i) => (weight[Math.floor(i / Q)] > 0 ? batch.y![i] : 0)) : undefined;
  const { dO, lossRows } = c.loss === 'softmax-xent' ? softmaxXent64(o, targets!, T * B, Q, 1) : mse64(o, y!, T * B, Q, 1);
  let loss = 0;
  for (let r = 0; r < T * B; r++) {
    const k = scale * weight[r];
    loss += k * lossRows[r];
    for (let q = 0; q < Q; q++) dO[r * Q + q] *= k;
  }

  return { w, hs, cs, acts, ghn, input, o, dO, loss, real };
}

/**
 * Forward, loss and backpropagation through time in float64 for any cell
 * ('rnn', 'lstm', 'gru') and depth, with ξ (shared or per sequence) and
 * TBPTT(k1, k2). Plain loops: a reference, not a fast path.
 */
export function referenceCells(c: RnnConfig, given: Weights<Tensor>, batch: Batch, opts: CellsOptions = {}): CellsResult {
  const { w, hs, cs, acts, ghn, input, o, dO, loss, real } = forward(c, given, batch, opts);
  const { B, T } = batch;
  const cell = c.cell ?? 'rnn', L = c.layers ?? 1, G = GATES[cell];
  const H = c.hidden, d = c.inputSize, Q = c.outputSize, GH = G * H;
  const lstm = cell === 'lstm';
  const names = Array.from({ length: L }, (_, l) => layerNames(c, l));
  const inSize = (l: number) => (l === 0 ? d : H);
  const top = hs[L - 1];

  // ---- gradients: the output layer sees every loss (no truncation there)
  const g: Weights<Float64Array> = {};
  for (const [name, rows, cols] of paramShapes(c)) g[name] = new Float64Array(rows * cols);
  for (let r = 0; r < T * B; r++) {
    outer(g.W_qh, dO.subarray(r * Q), Q, H, top, (r + B) * H);
    if (c.bias) for (let q = 0; q < Q; q++) g.b_q[q] += dO[r * Q + q];
  }

  // ---- the recurrence, one reverse sweep per block of losses
  const xi2d = isTwoD(opts.xi);
  const xi = (t: number, b: number) => (opts.xi === undefined ? 1 : xi2d ? (opts.xi as ArrayLike<number>[])[b][t] : (opts.xi as ArrayLike<number>)[t]);
  const dhTop = new Float64Array(T * B * H); // ∂L/∂h_t of the top layer, summed over the sweeps
  const dcTop = new Float64Array(lstm ? T * B * H : 0);
  const dhCarry = Array.from({ length: L }, () => new Float64Array(B * H)); // into h_{s−1} from step s
  const dcCarry = Array.from({ length: L }, () => new Float64Array(lstm ? B * H : 0));
  const dh = new Float64Array(H), dc = new Float64Array(H), dx = new Float64Array(H), dhPrev = new Float64Array(H);
  const dgi = new Float64Array(GH), dgh = new Float64Array(GH);

  /** Backpropagate the losses of steps [lo, hi) from step hi − 1 down to step j (the link into h_j from h_{j−1} cut). */
  const sweep = (lo: number, hi: number, j: number) => {
    for (let l = 0; l < L; l++) {
      dhCarry[l].fill(0);
      dcCarry[l].fill(0);
    }
    for (let s = hi - 1; s >= j; s--) {
      for (let b = 0; b < B; b++) {
        const r = s * B + b, prev = r * H, next = (r + B) * H;
        // into the top layer's h_s: W_qhᵀ ∂L/∂o_s for the sweep's own losses
        dx.fill(0);
        if (s >= lo) matTVec(dx, w.W_qh, Q, H, dO.subarray(r * Q, r * Q + Q));
        for (let l = L - 1; l >= 0; l--) {
          const n = names[l], a = acts[l], ao = r * GH;
          // ∂L/∂h_s = from above (the layer on top, or the output) + from step s + 1
          for (let k = 0; k < H; k++) dh[k] = dx[k] + dhCarry[l][b * H + k];
          if (lstm) for (let k = 0; k < H; k++) dc[k] = dcCarry[l][b * H + k];
          if (!real(s, b)) {
            // padding held the state: the identity passes ∂L/∂h (and ∂L/∂c) on, times ξ_s; nothing reaches the weights or the layer below
            if (l === L - 1) {
              for (let k = 0; k < H; k++) dhTop[r * H + k] += dh[k];
              if (lstm) for (let k = 0; k < H; k++) dcTop[r * H + k] += dc[k];
            }
            const m = xi(s, b);
            for (let k = 0; k < H; k++) {
              dhCarry[l][b * H + k] = m === 0 ? 0 : m * dh[k];
              if (lstm) dcCarry[l][b * H + k] = m === 0 ? 0 : m * dc[k];
            }
            dx.fill(0);
            continue;
          }
          dhPrev.fill(0);
          for (let k = 0; k < H; k++) {
            if (cell === 'rnn') {
              dgi[k] = dgh[k] = dh[k] * dphi(c.activation, a[ao + k]);
            } else if (lstm) {
              const [ig, fg, gg, og] = [a[ao + k], a[ao + H + k], a[ao + 2 * H + k], a[ao + 3 * H + k]];
              const tc = Math.tanh(cs[l][next + k]);
              dc[k] += dh[k] * og * (1 - tc * tc); // ∂L/∂c_s in full
              dgi[k] = dc[k] * gg * ig * (1 - ig);
              dgi[H + k] = dc[k] * cs[l][prev + k] * fg * (1 - fg);
              dgi[2 * H + k] = dc[k] * ig * (1 - gg * gg);
              dgi[3 * H + k] = dh[k] * tc * og * (1 - og);
              for (let q = 0; q < 4; q++) dgh[q * H + k] = dgi[q * H + k];
            } else {
              const [rg, zg, ng] = [a[ao + k], a[ao + H + k], a[ao + 2 * H + k]];
              const dn = dh[k] * (1 - zg) * (1 - ng * ng); // ∂L/∂(pre-activation of n)
              dgi[2 * H + k] = dn;
              dgh[2 * H + k] = dn * rg;
              dgi[k] = dgh[k] = dn * ghn[l][r * H + k] * rg * (1 - rg);
              dgi[H + k] = dgh[H + k] = dh[k] * (hs[l][prev + k] - ng) * zg * (1 - zg);
              dhPrev[k] = dh[k] * zg; // h' = … + z⊙h
            }
          }
          if (l === L - 1) {
            for (let k = 0; k < H; k++) dhTop[r * H + k] += dh[k];
            if (lstm) for (let k = 0; k < H; k++) dcTop[r * H + k] += dc[k];
          }
          // weight gradients: dW_ih += dgi xᵀ, dW_hh += dgh h_{s−1}ᵀ, biases
          const [x, xo] = input(l, r);
          outer(g[n.W_ih], dgi, GH, inSize(l), x, xo);
          outer(g[n.W_hh], dgh, GH, H, hs[l], prev);
          if (n.b_ih) for (let i = 0; i < GH; i++) g[n.b_ih][i] += dgi[i];
          if (n.b_hh) for (let i = 0; i < GH; i++) g[n.b_hh][i] += dgh[i];
          // into the state from step s − 1, times ξ_s: W_hhᵀ dgh (+ z⊙dh for GRU) ; σ(f)⊙∂L/∂c_s for LSTM
          matTVec(dhPrev, w[n.W_hh], GH, H, dgh);
          const m = xi(s, b);
          for (let k = 0; k < H; k++) {
            dhCarry[l][b * H + k] = m === 0 ? 0 : m * dhPrev[k];
            if (lstm) dcCarry[l][b * H + k] = m === 0 ? 0 : m * dc[k] * a[ao + H + k];
          }
          // into the layer below's h_s: W_ihᵀ dgi
          if (l > 0) {
            dx.fill(0);
            matTVec(dx, w[n.W_ih], GH, H, dgi);
          }
        }
      }
    }
  };
  if (!opts.tbptt) sweep(0, T, 0);
  else {
    const { k1, k2 } = opts.tbptt;
    for (let m = 0; m * k1 < T; m++) sweep(m * k1, Math.min(T, (m + 1) * k1), Math.max(0, (m + 1) * k1 - k2));
  }

  const norms = (v: Float64Array) =>
    Float64Array.from({ length: T }, (_, t) => {
      let s = 0;
      for (let i = t * B * H; i < (t + 1) * B * H; i++) s += v[i] * v[i];
      return Math.sqrt(s);
    });
  const last = (s: Float64Array) => s.slice(T * B * H);
  return {
    loss,
    grads: g,
    o,
    hLast: hs.map(last),
    ...(lstm ? { cLast: cs.map(last), dcNorms: norms(dcTop) } : {}),
    dhNorms: norms(dhTop),
  };
}

/** The loss alone (for finite differences). */
export function referenceCellsLoss(c: RnnConfig, w: Weights<Tensor>, batch: Batch, opts: CellsOptions = {}): number {
  return forward(c, w, batch, opts).loss;
}
