// predict and evaluate: forward-only passes over any N in batches of B (the
// last one filled with length-0 sequences), from zero state per sequence.
//
// predict's outputs: returnSequences true → [N][T][Q] (steps at or after a
// sequence's length are 0); false → [N][Q], the output at each sequence's
// last real step. Class heads give probabilities (softmax), regression
// heads the raw values.
import type { CheckedSpec } from './spec';
import type { Inputs, Targets } from './arrays';
import { timeMajor } from './batches';
import { MetricSum, softmaxInto } from './metrics';
import type { ForwardRunner } from './forward';
import type { ModelConfig } from '../model/config';

/** What predict, evaluate and fit need of a model. */
export interface ModelCore {
  readonly device: GPUDevice;
  readonly spec: CheckedSpec;
  readonly config: ModelConfig;
  /** A forward-only runner for (B, T) (or fewer sequences per pass if need be) with the model's current weights on it. */
  forward(B: number, T: number): ForwardRunner;
}

/** Outputs as a typed array with its shape, and as nested arrays. */
export interface Outputs {
  /** Row-major values: [N][T][Q] or [N][Q]. */
  data: Float32Array;
  shape: number[];
  /** The same values as nested arrays. */
  toArray(): number[][] | number[][][];
}

export function outputsOf(data: Float32Array, shape: number[]): Outputs {
  return {
    data,
    shape,
    toArray() {
      const nest = (at: number, d: number): unknown[] => {
        const n = shape[d], stride = shape.slice(d + 1).reduce((a, b) => a * b, 1);
        return Array.from({ length: n }, (_, i) => (d === shape.length - 1 ? data[at + i] : nest(at + i * stride, d + 1)));
      };
      return nest(0, 0) as number[][] | number[][][];
    },
  };
}

const outputsPer = (spec: CheckedSpec) => ('regression' in spec.output ? spec.output.regression : spec.output.classes);

/** Run every batch of `inputs` forward; `visit` gets each batch's O (T, B, Q) and its sequence indices. */
async function eachBatch(core: ModelCore, inputs: Inputs, targets: Targets | undefined, batchSize: number, visit: (o: Float32Array, first: number, count: number, B: number) => void) {
  const T = inputs.T;
  const runner = core.forward(Math.min(batchSize, inputs.N), T);
  const B = runner.B; // fewer when the window does not fit unchunked
  const Q = outputsPer(core.spec);
  for (let first = 0; first < inputs.N; first += B) {
    const count = Math.min(B, inputs.N - first);
    const idx = Uint32Array.from({ length: count }, (_, i) => first + i);
    const o = await runner.run(timeMajor(inputs, targets, idx, B, T, Q));
    visit(o, first, count, B);
  }
}

/** predict: outputs per step or per sequence (probabilities for class heads). */
export async function predictOutputs(core: ModelCore, inputs: Inputs, batchSize: number): Promise<Outputs> {
  const spec = core.spec, Q = outputsPer(spec), T = inputs.T, classes = 'classes' in spec.output;
  const perStep = spec.returnSequences;
  const out = new Float32Array(inputs.N * (perStep ? T : 1) * Q);
  await eachBatch(core, inputs, undefined, batchSize, (o, first, count, B) => {
    for (let b = 0; b < count; b++) {
      const n = first + b, len = inputs.lengths[n];
      for (let t = perStep ? 0 : len - 1; t < len; t++) {
        const at = (t * B + b) * Q, to = (perStep ? n * T + t : n) * Q;
        if (classes) softmaxInto(o, at, Q, out, to);
        else for (let j = 0; j < Q; j++) out[to + j] = o[at + j];
      }
    }
  });
  return outputsOf(out, perStep ? [inputs.N, T, Q] : [inputs.N, Q]);
}

/** evaluate: the training loss's mean (and accuracy for class heads) over the counted positions. */
export async function evaluateData(core: ModelCore, inputs: Inputs, targets: Targets, batchSize: number): Promise<{ loss: number; accuracy?: number }> {
  const spec = core.spec, Q = outputsPer(spec), T = inputs.T, classes = 'classes' in spec.output;
  const sum = new MetricSum();
  await eachBatch(core, inputs, targets, batchSize, (o, first, count, B) => {
    for (let b = 0; b < count; b++) {
      const n = first + b, len = inputs.lengths[n];
      for (let t = targets.perStep ? 0 : len - 1; t < len; t++) {
        const tAt = (targets.perStep ? n * T + t : n) * targets.width;
        sum.add(o, (t * B + b) * Q, Q, targets.data, tAt, classes);
      }
    }
  });
  return sum.result(classes);
}
