// What the training worker trains: a model made from a ModelSpec, fitted on
// arrays with an explicit shape, saved as bytes. Built on the engine's
// Trainer (one minibatch per step, each sequence from zero state) until the
// Model API (src/api) lands; the worker needs only createFitModel.
//
// This stand-in fits many-to-many models (returnSequences: true) on
// fixed-length sequences; a last batch shorter than batchSize is left out
// of the epoch (the Model API trains it).
import { Trainer, type OptimizerSpec } from '../engine/trainer';
import { checkSpec, modelConfig, type ModelSpec, type CheckedSpec } from '../api/spec';
import { saveCheckpoint } from '../model/checkpoint';
import type { ModelConfig } from '../model/config';
import { createRng } from '../util/rng';
import { BpttError, requireInt, show } from '../errors';

/** An array with an explicit shape, batch-major: x (N, T, d) or token ids (N, T); y (N, T, Q) or class ids (N, T). */
export interface FitData {
  data: Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;
  shape: number[];
}

/** fit's options that travel to the worker (the callbacks stay behind: the page gets events). */
export interface WorkerFitOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Sequences per step (default 32, at most N). */
  batchSize?: number;
  /** Shuffle the sequences every epoch (default true). */
  shuffle?: boolean;
  /** Default Adam, lr 0.01. */
  optimizer?: OptimizerSpec;
  /** Global-norm clip (default 1; null: off). */
  clip?: number | null;
  /** Initial weights and shuffling (default 0). */
  seed?: number;
}

/** The numbers after a batch or an epoch. */
export interface FitLogs {
  loss: number;
  [metric: string]: number;
}

export interface FitCallbacks {
  /** Awaited: the next batch starts once it settles (the worker pauses here). */
  onBatchEnd?(batch: number, logs: FitLogs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: FitLogs): void | Promise<void>;
}

/** What the worker trains. */
export interface FitModel {
  fit(x: FitData, y: FitData, options: WorkerFitOptions & { callbacks?: FitCallbacks; signal?: AbortSignal }): Promise<FitLogs[]>;
  /** The model as bytes (a safetensors checkpoint: config, weights, optimizer state, step; the spec in its metadata). */
  save(): Promise<Uint8Array>;
  /** Destroy every GPU buffer the model owns. */
  destroy(): void;
}

function checkData(field: string, a: FitData, rank: number, integer: boolean): { data: FitData['data']; shape: number[] } {
  if (typeof a !== 'object' || a === null || !ArrayBuffer.isView(a.data) || !Array.isArray(a.shape)) {
    throw new BpttError(field, show(a), 'must be { data: a typed array, shape: [N, T, …] }');
  }
  if (a.shape.length !== rank || a.shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new BpttError(`${field}.shape`, JSON.stringify(a.shape), `must be ${rank} positive integers`);
  }
  const n = a.shape.reduce((p, q) => p * q, 1);
  if (a.data.length !== n) throw new BpttError(`${field}.data`, `length ${a.data.length}`, `must have ${a.shape.join('·')} = ${n} entries`);
  if (integer && (a.data instanceof Float32Array || a.data instanceof Float64Array)) {
    throw new BpttError(`${field}.data`, a.data.constructor.name, 'must be an integer typed array (token or class ids)');
  }
  return a;
}

/** Rows [lo, lo + B) of `order`, batch-major (N, T, k) → time-major (T, B, k). */
function timeMajor(src: ArrayLike<number>, order: Uint32Array, lo: number, B: number, T: number, k: number, out: Float32Array | Uint32Array) {
  for (let b = 0; b < B; b++) {
    const n = order[lo + b];
    for (let t = 0; t < T; t++) {
      const s = (n * T + t) * k, d = (t * B + b) * k;
      for (let j = 0; j < k; j++) out[d + j] = src[s + j];
    }
  }
}

class TrainerModel implements FitModel {
  private trainer: Trainer | null = null;
  private readonly config: ModelConfig;

  constructor(private readonly device: GPUDevice, private readonly spec: CheckedSpec) {
    this.config = modelConfig(spec);
    if (!spec.returnSequences) {
      throw new BpttError('spec.returnSequences', 'false', 'must be true in this build: many-to-one training needs the Model API (src/api)');
    }
  }

  async fit(x: FitData, y: FitData, o: WorkerFitOptions & { callbacks?: FitCallbacks; signal?: AbortSignal } = {}): Promise<FitLogs[]> {
    const c = this.config;
    const dense = c.input === 'dense', regression = c.loss === 'mse';
    const X = checkData('x', x, dense ? 3 : 2, !dense);
    const Y = checkData('y', y, regression ? 3 : 2, !regression);
    const [N, T] = X.shape;
    if (dense && X.shape[2] !== c.inputSize) throw new BpttError('x.shape', JSON.stringify(X.shape), `must be [N, T, ${c.inputSize}] (spec.input.features)`);
    if (Y.shape[0] !== N || Y.shape[1] !== T) throw new BpttError('y.shape', JSON.stringify(Y.shape), `must start [${N}, ${T}] as x does`);
    if (regression && Y.shape[2] !== c.outputSize) throw new BpttError('y.shape', JSON.stringify(Y.shape), `must be [${N}, ${T}, ${c.outputSize}] (spec.output.regression)`);
    const epochs = requireInt('epochs', o.epochs ?? 1, 1, 1 << 20);
    const B = Math.min(requireInt('batchSize', o.batchSize ?? 32, 1, 1 << 20), N);
    const shuffle = o.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new BpttError('shuffle', show(shuffle), 'must be true or false');
    const seed = o.seed ?? 0;
    if (!this.trainer) {
      this.trainer = new Trainer(this.device, { config: c, batch: B, steps: T, optimizer: o.optimizer ?? { kind: 'adam', lr: 0.01 }, clip: o.clip, seed });
    } else if (this.trainer.engine.B !== B || this.trainer.engine.T !== T) {
      throw new BpttError('batchSize', String(B), `must stay ${this.trainer.engine.B} with T = ${this.trainer.engine.T} for this model (stand-in)`);
    }
    const trainer = this.trainer;
    const rng = createRng(seed ^ 0x5bd1e995);
    const order = Uint32Array.from({ length: N }, (_, i) => i);
    const kIn = dense ? c.inputSize : 1, kOut = regression ? c.outputSize : 1;
    const bx = dense ? new Float32Array(T * B * kIn) : new Uint32Array(T * B);
    const by = regression ? new Float32Array(T * B * kOut) : new Uint32Array(T * B);
    const history: FitLogs[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (shuffle) {
        for (let i = N - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      let sum = 0, count = 0;
      for (let batch = 0; (batch + 1) * B <= N; batch++) {
        o.signal?.throwIfAborted();
        timeMajor(X.data, order, batch * B, B, T, kIn, bx);
        timeMajor(Y.data, order, batch * B, B, T, kOut, by);
        const handle = await trainer.step(dense ? (regression ? { x: bx, y: by, state: 'reset' } : { x: bx, targets: by, state: 'reset' }) : regression ? { tokens: bx, y: by, state: 'reset' } : { tokens: bx, targets: by, state: 'reset' });
        const stats = await handle.stats;
        sum += stats.loss;
        count += 1;
        await o.callbacks?.onBatchEnd?.(batch, { loss: stats.loss });
      }
      const logs = { loss: sum / count };
      history.push(logs);
      await o.callbacks?.onEpochEnd?.(epoch, logs);
    }
    return history;
  }

  async save(): Promise<Uint8Array> {
    if (!this.trainer) throw new BpttError('model', 'untrained', 'has no weights before fit (stand-in)');
    const snap = await this.trainer.snapshot();
    return saveCheckpoint({ config: this.config, weights: snap.weights, optimizer: snap.optimizer, step: snap.calls, extra: { spec: JSON.stringify(this.spec) } });
  }

  destroy(): void {
    this.trainer?.destroy();
    this.trainer = null;
  }
}

/** A model for the worker to fit (checked before any GPU work). */
export function createFitModel(device: GPUDevice, spec: ModelSpec): FitModel {
  return new TrainerModel(device, checkSpec(spec));
}
