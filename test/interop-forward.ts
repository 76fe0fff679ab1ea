// Test helper for the interop tests: our predictions, from the GPU engine's
// forward pass (BpttEngine.encodeForwardOnly / readOutputs) — the outputs O
// (T, B, Q) at every step, and each sequence's output at its last real step,
// on a forward-only engine (BpttShape.forwardOnly) with the batch's lengths;
// rows at padded steps are meaningless and set to NaN.
import { BpttEngine } from '../src/engine/bptt';
import type { ModelConfig } from '../src/model/config';
import type { Tensor, Weights } from '../src/model/params';

export interface ForwardInput {
  B: number;
  T: number;
  /** (T, B) ids, time-major. */
  tokens?: ArrayLike<number>;
  /** (T, B, d), time-major. */
  x?: ArrayLike<number>;
  /** B lengths in [1, T]; absent: all T. */
  lengths?: readonly number[];
}

/** O (T, B, Q) from the GPU; rows at padded steps (t ≥ lengths[b]) are NaN. */
export async function gpuOutputs(device: GPUDevice, c: ModelConfig, w: Weights<Tensor>, inp: ForwardInput): Promise<Float32Array> {
  const { B, T } = inp, Q = c.outputSize;
  const eng = new BpttEngine(device, { config: c, batch: B, steps: T, forwardOnly: true });
  try {
    eng.writeWeights(w);
    eng.writeH0();
    eng.writeInputs({ ...(c.input === 'tokens' ? { tokens: inp.tokens } : { x: inp.x }), lengths: inp.lengths });
    const enc = device.createCommandEncoder({ label: 'interop.forward' });
    eng.encodeForwardOnly(enc);
    device.queue.submit([enc.finish()]);
    const O = await eng.readOutputs();
    if (inp.lengths) for (let b = 0; b < B; b++) for (let t = inp.lengths[b]; t < T; t++) O.fill(NaN, (t * B + b) * Q, (t * B + b + 1) * Q);
    return O;
  } finally {
    eng.destroy();
  }
}

/** Each sequence's output at its last real step: (B, Q). */
export function lastStep(O: ArrayLike<number>, B: number, T: number, Q: number, lengths?: readonly number[]): Float64Array {
  const out = new Float64Array(B * Q);
  for (let b = 0; b < B; b++) {
    const t = (lengths ? lengths[b] : T) - 1;
    for (let q = 0; q < Q; q++) out[b * Q + q] = O[(t * B + b) * Q + q];
  }
  return out;
}

/** The real steps' rows of O (T, B, Q), in time-major order (padded rows left out). */
export function realRows(O: ArrayLike<number>, B: number, T: number, Q: number, lengths?: readonly number[]): Float64Array {
  const out: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (!lengths || t < lengths[b]) for (let q = 0; q < Q; q++) out.push(O[(t * B + b) * Q + q]);
  return Float64Array.from(out);
}
