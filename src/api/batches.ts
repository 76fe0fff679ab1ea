// From checked, batch-major data (arrays.ts) to the engine's time-major
// minibatches (row r = t·B + b). A short last batch is filled with length-0
// sequences, which change nothing and count for nothing. Many-to-one heads
// put the target at each sequence's last real step with loss weight 1, every
// other position 0 (the engine's lossWeights).
import type { Inputs, Targets } from './arrays';

/** One minibatch in the engine's layout, with its per-sequence lengths. */
export interface TimeMajorBatch {
  tokens?: Uint32Array;
  x?: Float32Array;
  targets?: Uint32Array;
  y?: Float32Array;
  /** B lengths; 0 for the fill of a short batch. */
  lengths: Uint32Array;
  /** T·B loss weights (many-to-one heads only). */
  lossWeights?: Float32Array;
  /** Real sequences in this batch (the rest is fill). */
  count: number;
}

/** Sequences idx[0 .. count) of the data as a time-major batch of B sequences and T steps. */
export function timeMajor(inputs: Inputs, targets: Targets | undefined, idx: ArrayLike<number>, B: number, T: number, outputs: number): TimeMajorBatch {
  const count = idx.length, w = inputs.width, Tin = inputs.T;
  const lengths = new Uint32Array(B);
  const dense = inputs.data instanceof Float32Array;
  const xin = dense ? new Float32Array(T * B * w) : new Uint32Array(T * B);
  for (let b = 0; b < count; b++) {
    const n = idx[b];
    const len = inputs.lengths[n];
    lengths[b] = len;
    for (let t = 0; t < len; t++) {
      for (let j = 0; j < w; j++) xin[(t * B + b) * w + j] = inputs.data[(n * Tin + t) * w + j];
    }
  }
  const out: TimeMajorBatch = { lengths, count };
  if (dense) out.x = xin as Float32Array;
  else out.tokens = xin as Uint32Array;
  // targets: dense or ids, at every step or at the last real one
  const q = targets ? targets.width : outputs;
  const regression = targets ? targets.data instanceof Float32Array : true;
  const tg = regression ? new Float32Array(T * B * q) : new Uint32Array(T * B);
  if (targets) {
    for (let b = 0; b < count; b++) {
      const n = idx[b], len = lengths[b];
      if (targets.perStep) {
        for (let t = 0; t < len; t++) for (let j = 0; j < q; j++) tg[(t * B + b) * q + j] = targets.data[(n * Tin + t) * q + j];
      } else {
        for (let j = 0; j < q; j++) tg[((len - 1) * B + b) * q + j] = targets.data[n * q + j];
      }
    }
    if (!targets.perStep) {
      const lw = new Float32Array(T * B);
      for (let b = 0; b < count; b++) lw[(lengths[b] - 1) * B + b] = 1;
      out.lossWeights = lw;
    }
  }
  if (regression) out.y = tg as Float32Array;
  else out.targets = tg as Uint32Array;
  return out;
}

/** The order of an epoch: 0 … N − 1, shuffled (Fisher–Yates) with `next` ∈ [0, 1) when given. */
export function epochOrder(N: number, next?: () => number): Uint32Array {
  const order = Uint32Array.from({ length: N }, (_, i) => i);
  if (next) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  return order;
}

/** Split an order into batches of at most B. */
export function batchesOf(order: Uint32Array, B: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let i = 0; i < order.length; i += B) out.push(order.subarray(i, Math.min(order.length, i + B)));
  return out;
}
