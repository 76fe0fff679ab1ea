// Inference (forward only) in the bench: one LSTM character model, the same
// weights in every implementation, timed as a user calls it, from JS inputs
// to JS outputs:
//   predict: whole sequences, B of them × T steps per call (ours:
//     Model.predict; TF.js: a tf.layers.lstm + dense model's model.predict;
//     ONNX Runtime Web: InferenceSession.run on exportOnnx's file);
//   stream: B sequences stepping one token each per call, the state carried
//     (ours: Model.stream().step; TF.js: the same layers built stateful with
//     batch shape [B, 1, V]; ONNX Runtime: exportOnnx's file with state
//     inputs, h_n and c_n fed back as h0 and c0).
// Every implementation's outputs (next-token probabilities at every step)
// are checked against ours before it is timed; ours against the float64
// reference. A row off by more than INFERENCE_TOLERANCE is not timed.
import type * as tfType from '@tensorflow/tfjs-core';
import type * as tflType from '@tensorflow/tfjs-layers';
import type * as ortType from 'onnxruntime-web';
import { createModel } from '../src/api/model';
import type { ModelSpec } from '../src/api/spec';
import { modelConfig, checkSpec } from '../src/api/spec';
import { paramShapes, type Weights } from '../src/model/params';
import { referenceCells } from '../src/reference/cells64';
import { createRng } from '../src/util/rng';
import type { PeerBackend } from './core';
import { spread, type Spread } from './stats';
import { tfjsInference } from './tfjs-infer';
import { ortInference, type OrtProvider } from './ort-lstm';

/** The model's size: V tokens in and classes out, H hidden units, B sequences of T steps. */
export interface InferenceShape {
  name: string;
  V: number;
  H: number;
  B: number;
  T: number;
}

/** LSTM: the bench's LSTM workload's size; tiny: the test suite's. */
export const INFERENCE_SHAPES: Record<string, InferenceShape> = {
  LSTM: { name: 'LSTM', V: 28, H: 256, B: 32, T: 35 },
  tiny: { name: 'tiny', V: 8, H: 16, B: 2, T: 4 },
};

/** Largest |Δ| of a probability against ours for a row to be timed. */
export const INFERENCE_TOLERANCE = 1e-3;

/** Weights are U(±WEIGHT_SCALE/√H): far enough from uniform outputs that a 1e-3 check on probabilities tells a wrong model apart. */
export const WEIGHT_SCALE = 3;

/** The model every implementation runs: spec, weights (PyTorch's names), the token ids. */
export interface InferenceModel {
  shape: InferenceShape;
  spec: ModelSpec;
  weights: Weights;
  /** (B, T) token ids, batch-major. */
  ids: Uint32Array;
}

/** The LSTM language model at `shape`, its weights and inputs drawn from `seed`. */
export function inferenceModel(shape: InferenceShape, seed = 7): InferenceModel {
  const spec: ModelSpec = { cell: 'lstm', hidden: shape.H, input: { tokens: shape.V }, output: { classes: shape.V }, returnSequences: true };
  const rng = createRng(seed);
  const k = WEIGHT_SCALE / Math.sqrt(shape.H);
  const weights: Weights = {};
  for (const [name, rows, cols] of paramShapes(modelConfig(checkSpec(spec)))) weights[name] = Float32Array.from({ length: rows * cols }, () => (2 * rng.next() - 1) * k);
  const ids = Uint32Array.from({ length: shape.B * shape.T }, () => rng.int(shape.V));
  return { shape, spec, weights, ids };
}

/**
 * One implementation as the bench drives it. predict gives the
 * probabilities of one whole batch, [B][T][Q] (or [T][B][Q] when `timeMajor`);
 * a stream steps B sequences one token (step t of each) and gives [B][Q].
 */
export interface InferenceImpl {
  predict(): Promise<Float32Array>;
  timeMajor?: boolean;
  stream(): Promise<{
    reset(): Promise<void> | void;
    step(t: number): Promise<Float32Array>;
    /** What the implementation saw go wrong, if it knows (added to a failed check's text). */
    diagnose?(): string | undefined;
    dispose(): void;
  }>;
  dispose(): void;
}

/** predict: whole sequences per call; stream: one step of B sequences per call, the state carried. */
export type InferenceMode = 'predict' | 'stream';

/** One row of the inference table. */
export interface InferenceRow {
  /** 'webgpu-bptt', 'TF.js webgpu', 'TF.js wasm', 'ORT wasm', 'ORT webgpu'. */
  implementation: string;
  mode: InferenceMode;
  /** What is called per timed unit. */
  call: string;
  /** ms per batch (predict: B × T tokens) or per step of the B streams (stream: B tokens); null when not timed. */
  ms: Spread | null;
  tokensPerSecond: number | null;
  /** Largest |Δ| of its probabilities against `against`; null when it did not run. */
  maxAbsDiff: number | null;
  /** What the outputs were checked against: 'float64' (the reference) or 'ours' (our predict). */
  against: 'float64' | 'ours';
  /** Why the row has no time: it did not load, or its outputs are off (the check failed). */
  failure?: string;
  note?: string;
}

/** The inference section of a bench report. */
export interface InferenceResult {
  shape: InferenceShape;
  tolerance: number;
  weightScale: number;
  rows: InferenceRow[];
}

/** runInference's options. */
export interface InferenceOptions {
  shape: InferenceShape;
  /** Timed batches per predict row (default 5). */
  reps?: number;
  /** Timed steps per stream row (default T: one pass over the sequences). */
  streamSteps?: number;
  /** Seconds one row's timing may take; it stops there after at least 3 timed calls (default 6). */
  maxSeconds?: number;
  /** TF.js (and its layers API) and the backends to run. */
  tfjs?: { tf: typeof tfType; layers: typeof tflType; backends: PeerBackend[] };
  /** ONNX Runtime Web and the execution providers to try. */
  ort?: { ort: typeof ortType; providers: OrtProvider[] };
  log?: (line: string) => void;
}


/** max |a − b| over every entry (Infinity on a length mismatch or a non-finite value). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** (T, B, Q) → (B, T, Q). */
function toBatchMajor(o: ArrayLike<number>, B: number, T: number, Q: number): Float32Array {
  const out = new Float32Array(B * T * Q);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let q = 0; q < Q; q++) out[(b * T + t) * Q + q] = o[(t * B + b) * Q + q];
  return out;
}

/** Row-wise softmax of (R, Q) logits. */
function softmaxRows(z: ArrayLike<number>, Q: number): Float64Array {
  const out = new Float64Array(z.length);
  for (let r = 0; r < z.length / Q; r++) {
    let m = -Infinity, s = 0;
    for (let q = 0; q < Q; q++) m = Math.max(m, z[r * Q + q]);
    for (let q = 0; q < Q; q++) s += out[r * Q + q] = Math.exp(z[r * Q + q] - m);
    for (let q = 0; q < Q; q++) out[r * Q + q] /= s;
  }
  return out;
}

/** The float64 reference's probabilities for the first `n` sequences, (n, T, Q). */
function referenceProbs(m: InferenceModel, n: number): Float64Array {
  const { T, V } = m.shape;
  const config = modelConfig(checkSpec(m.spec));
  const tokens = new Uint32Array(T * n);
  for (let t = 0; t < T; t++) for (let b = 0; b < n; b++) tokens[t * n + b] = m.ids[b * T + t];
  const o = referenceCells(config, m.weights, { B: n, T, tokens, targets: new Uint32Array(T * n) }).o; // (T, n, V) logits
  const p = softmaxRows(o, V);
  const out = new Float64Array(n * T * V);
  for (let t = 0; t < T; t++) for (let b = 0; b < n; b++) out.set(p.subarray((t * n + b) * V, (t * n + b + 1) * V), (b * T + t) * V);
  return out;
}

/** Our implementation: Model.predict and Model.stream on `device`, with the model's weights. */
export function oursInference(device: GPUDevice, m: InferenceModel): InferenceImpl {
  const { B, T } = m.shape;
  const model = createModel(device, m.spec, { weights: m.weights });
  const x = { data: m.ids, shape: [B, T] };
  return {
    predict: async () => (await model.predict(x, { batchSize: B })).data,
    async stream() {
      const s = model.stream({ batch: B });
      const steps = Array.from({ length: T }, (_, t) => ({ data: Uint32Array.from({ length: B }, (_, b) => m.ids[b * T + t]), shape: [B, 1] }));
      return { reset: () => s.reset(), step: async (t: number) => (await s.step(steps[t])).data, dispose: () => s.destroy() };
    },
    dispose: () => model.destroy(),
  };
}

/**
 * The calls timed one by one: at most `reps`, at least 3 (or `reps` if
 * fewer), then until `maxMs` has passed. A call that returns a number has
 * timed itself (the part that counts); else the whole call is timed.
 */
async function timeCalls(call: () => Promise<unknown>, reps: number, maxMs: number): Promise<Spread> {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < reps && (i < 3 || performance.now() - start < maxMs); i++) {
    const t0 = performance.now();
    const own = await call();
    times.push(typeof own === 'number' ? own : performance.now() - t0);
  }
  return spread(times);
}

/** The predict and stream rows of one implementation, checked against `ref` ((B, T, Q) probabilities) before they are timed. */
async function measure(name: string, calls: { predict: string; stream: string }, make: () => Promise<InferenceImpl>, m: InferenceModel, ref: ArrayLike<number>, against: 'float64' | 'ours', o: Required<Pick<InferenceOptions, 'reps' | 'streamSteps' | 'maxSeconds'>>, log: (l: string) => void): Promise<{ rows: InferenceRow[]; predicted?: Float32Array }> {
  const { B, T, V: Q } = m.shape;
  const row = (mode: InferenceMode, fields: Partial<InferenceRow>): InferenceRow => ({ implementation: name, mode, call: calls[mode], ms: null, tokensPerSecond: null, maxAbsDiff: null, against, ...fields });
  let impl: InferenceImpl;
  try {
    impl = await make();
  } catch (e) {
    const failure = `did not load: ${String((e as Error)?.message ?? e).slice(0, 200)}`;
    log(`  inference ${name}: ${failure}`);
    return { rows: [row('predict', { failure }), row('stream', { failure })] };
  }
  const rows: InferenceRow[] = [];
  const began = performance.now();
  let predicted: Float32Array | undefined;
  const checkFailure = (d: number) => (d <= INFERENCE_TOLERANCE ? undefined : `outputs differ from ${against === 'ours' ? 'ours' : 'float64'} by ${d.toExponential(2)} > ${INFERENCE_TOLERANCE}: not timed`);
  const loud = (mode: string, failure: string) => log(`  INFERENCE CHECK FAILED: ${name} ${mode}: ${failure}`);
  try {
    // predict: the first call is the warm-up and the check
    try {
      const first = await impl.predict();
      predicted = impl.timeMajor ? toBatchMajor(first, B, T, Q) : first;
      const d = maxAbsDiff(against === 'float64' ? predicted.subarray(0, ref.length) : predicted, ref);
      const failure = checkFailure(d);
      if (failure) {
        loud('predict', failure);
        rows.push(row('predict', { maxAbsDiff: d, failure }));
      } else {
        const ms = await timeCalls(() => impl.predict(), o.reps, o.maxSeconds * 1000);
        rows.push(row('predict', { maxAbsDiff: d, ms, tokensPerSecond: (B * T * 1000) / ms.median }));
        log(`  inference ${name} predict: ${ms.median.toFixed(2)} ms/batch [${ms.min.toFixed(2)}–${ms.max.toFixed(2)}] (${ms.n} batches), ${((B * T * 1000) / ms.median).toFixed(0)} tokens/s, max |Δ| vs ${against} ${d.toExponential(1)}`);
      }
    } catch (e) {
      const failure = `failed: ${String((e as Error)?.message ?? e).slice(0, 200)}`;
      loud('predict', failure);
      rows.push(row('predict', { failure }));
    }
    // stream: one pass over the T steps is the warm-up and the check (each step's [B][Q] against step t of ref)
    try {
      const s = await impl.stream();
      try {
        await s.reset();
        let d = 0;
        for (let t = 0; t < T; t++) {
          const out = await s.step(t);
          const want = against === 'float64' ? Math.min(B, ref.length / (T * Q)) : B;
          const refStep = new Float32Array(want * Q), got = out.subarray(0, want * Q);
          for (let b = 0; b < want; b++) for (let q = 0; q < Q; q++) refStep[b * Q + q] = ref[(b * T + t) * Q + q];
          d = Math.max(d, maxAbsDiff(got, refStep));
        }
        const why = s.diagnose?.();
        const failure = checkFailure(d) && `${checkFailure(d)}${why ? ` (${why})` : ''}`;
        if (failure) {
          loud('stream', failure);
          rows.push(row('stream', { maxAbsDiff: d, failure }));
        } else {
          // timed: steps 0, 1, … of fresh streams (reset, untimed, after every T steps)
          let t = 0;
          await s.reset();
          const ms = await timeCalls(
            async () => {
              if (t === T) {
                t = 0;
                await s.reset();
              }
              const t0 = performance.now();
              await s.step(t++);
              return performance.now() - t0;
            },
            o.streamSteps,
            o.maxSeconds * 1000,
          );
          rows.push(row('stream', { maxAbsDiff: d, ms, tokensPerSecond: (B * 1000) / ms.median }));
          log(`  inference ${name} stream: ${ms.median.toFixed(2)} ms/step of ${B} streams [${ms.min.toFixed(2)}–${ms.max.toFixed(2)}] (${ms.n} steps), ${((B * 1000) / ms.median).toFixed(0)} tokens/s, max |Δ| vs ${against} ${d.toExponential(1)}`);
        }
      } finally {
        s.dispose();
      }
    } catch (e) {
      const failure = `failed: ${String((e as Error)?.message ?? e).slice(0, 200)}`;
      loud('stream', failure);
      rows.push(row('stream', { failure }));
    }
  } finally {
    impl.dispose();
    log(`  inference ${name}: ${((performance.now() - began) / 1000).toFixed(1)} s with warm-up and checks`);
  }
  return { rows, predicted };
}

/**
 * The inference rows: ours (checked against float64 on the first sequences),
 * then each peer (checked against our predict), predict and stream each.
 */
export async function runInference(device: GPUDevice, options: InferenceOptions): Promise<InferenceResult> {
  const log = options.log ?? (() => {});
  const shape = options.shape;
  const o = { reps: options.reps ?? 5, streamSteps: options.streamSteps ?? shape.T, maxSeconds: options.maxSeconds ?? 6 };
  const m = inferenceModel(shape);
  const began = performance.now();
  log(`inference ${shape.name} (lstm, V=${shape.V}, H=${shape.H}, B=${shape.B}, T=${shape.T}; weights U(±${WEIGHT_SCALE}/√H))`);
  const rows: InferenceRow[] = [];
  // ours against float64 on the first (at most) 4 sequences: the reference is plain JS
  const ref64 = referenceProbs(m, Math.min(4, shape.B));
  const ours = await measure('webgpu-bptt', { predict: 'Model.predict', stream: 'Model.stream().step' }, async () => oursInference(device, m), m, ref64, 'float64', o, log);
  rows.push(...ours.rows);
  const ref = ours.predicted;
  if (!ref) {
    log('  INFERENCE: our predict gave no outputs, so no peer can be checked; the peers are left out');
    return { shape, tolerance: INFERENCE_TOLERANCE, weightScale: WEIGHT_SCALE, rows };
  }
  if (options.tfjs) {
    const { tf, layers, backends } = options.tfjs;
    const calls = { predict: 'model.predict (tf.layers.lstm + dense)', stream: 'model.predict, stateful layers, [B, 1, V]' };
    for (const b of backends) {
      const make = async () => {
        if (!(await tf.setBackend(b))) throw new Error('backend unavailable');
        await tf.ready();
        return tfjsInference(tf, layers, m);
      };
      rows.push(...(await measure(`TF.js ${b}`, calls, make, m, ref, 'ours', o, log)).rows);
    }
  }
  if (options.ort) {
    const calls = { predict: 'InferenceSession.run (exportOnnx)', stream: 'InferenceSession.run, exportOnnx state: true, T = 1' };
    for (const ep of options.ort.providers) {
      const made = { note: undefined as string | undefined };
      const r = await measure(`ORT ${ep}`, calls, async () => {
        const impl = await ortInference(options.ort!.ort, m, ep);
        made.note = impl.note;
        return impl;
      }, m, ref, 'ours', o, log);
      for (const row of r.rows) if (made.note && !row.failure?.startsWith('did not load')) row.note = made.note;
      rows.push(...r.rows);
    }
  }
  log(`inference: ${((performance.now() - began) / 1000).toFixed(1)} s in all`);
  return { shape, tolerance: INFERENCE_TOLERANCE, weightScale: WEIGHT_SCALE, rows };
}
