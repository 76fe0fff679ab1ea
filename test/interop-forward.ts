// Test helper for the interop tests: our predictions, from the GPU engine's
// forward pass (BpttEngine.encodeForwardOnly / readOutputs) — the outputs O
// (T, B, Q) at every step, and each sequence's output at its last real step.
// With lengths, each sequence runs on its own engine of T = lengths[b] steps
// (so its padded steps cannot touch it); rows at padded steps are NaN.
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

async function run(device: GPUDevice, c: ModelConfig, w: Weights<Tensor>, B: number, T: number, tokens?: ArrayLike<number>, x?: ArrayLike<number>): Promise<Float32Array> {
  const eng = new BpttEngine(device, { config: c, batch: B, steps: T });
  try {
    eng.writeWeights(w);
    eng.writeH0();
    const targets = c.loss === 'softmax-xent' ? { targets: new Uint32Array(T * B) } : { y: new Float32Array(T * B * c.outputSize) };
    eng.writeBatch({ ...(c.input === 'tokens' ? { tokens } : { x }), ...targets });
    const enc = device.createCommandEncoder({ label: 'interop.forward' });
    eng.encodeForwardOnly(enc);
    device.queue.submit([enc.finish()]);
    return await eng.readOutputs();
  } finally {
    eng.destroy();
  }
}

/** O (T, B, Q) from the GPU; rows at padded steps (t ≥ lengths[b]) are NaN. */
export async function gpuOutputs(device: GPUDevice, c: ModelConfig, w: Weights<Tensor>, inp: ForwardInput): Promise<Float32Array> {
  const { B, T } = inp, Q = c.outputSize, d = c.inputSize;
  if (!inp.lengths) return run(device, c, w, B, T, inp.tokens, inp.x);
  const O = new Float32Array(T * B * Q).fill(NaN);
  for (let b = 0; b < B; b++) {
    const len = inp.lengths[b];
    const tokens = inp.tokens ? Array.from({ length: len }, (_, t) => inp.tokens![t * B + b]) : undefined;
    const x = inp.x ? Array.from({ length: len * d }, (_, i) => inp.x![(Math.floor(i / d) * B + b) * d + (i % d)]) : undefined;
    const o = await run(device, c, w, 1, len, tokens, x);
    for (let t = 0; t < len; t++) O.set(o.subarray(t * Q, (t + 1) * Q), (t * B + b) * Q);
  }
  return O;
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
