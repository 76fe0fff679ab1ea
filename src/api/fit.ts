// fit: epochs of minibatches on the model's Trainer, Keras's way. Every
// batch holds independent sequences and starts from zero state
// (state: 'reset'); a short last batch is filled with length-0 sequences and
// trains. Many-to-one heads weigh each sequence's last real step only.
// The losses come back asynchronously (the Trainer keeps several steps in
// flight); onBatchEnd runs as each arrives, onEpochEnd once an epoch's
// losses and validation metrics are in.
import type { Trainer, OptimizerSpec, StepInput } from '../engine/trainer';
import type { Truncation } from '../engine/truncation';
import type { LrScheduleSpec } from '../util/schedule';
import { BpttError, requireInt, show } from '../errors';
import { createRng } from '../util/rng';
import { parseInputs, parseTargets, take, type Inputs, type Targets } from './arrays';
import { batchesOf, epochOrder, timeMajor } from './batches';
import { evaluateData, type ModelCore } from './predict';

/** Metrics of a batch or an epoch: loss, and accuracy for class heads; val_* on validation data. */
export type Logs = Record<string, number>;

/** fit's callbacks (each may return a promise, which fit waits for). */
export interface Callbacks {
  /** After each batch's loss arrives: `logs.loss` (the batch's mean loss before its update), `logs.size`. */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /** After each epoch: loss (mean over the epoch's batches, by sequences), accuracy, val_loss, val_accuracy. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
}

/** Validation data: [x, y] or { x, y, lengths }. */
export type ValidationData = [unknown, unknown] | { x: unknown; y: unknown; lengths?: ArrayLike<number> };

/** fit's options, Keras's names (every one checked before any GPU work). */
export interface FitOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Sequences per minibatch (default 32; at most N). */
  batchSize?: number;
  /** Shuffle the sequences every epoch (default true), with `seed`. */
  shuffle?: boolean;
  /** Measure val_loss (and val_accuracy) on these after each epoch. */
  validationData?: ValidationData;
  /** Or hold out this fraction of the sequences, the last ones (as Keras), in [0, 1). */
  validationSplit?: number;
  /** Default { kind: 'adam', lr: 0.001 } (Keras's). */
  optimizer?: OptimizerSpec;
  /** Global gradient-norm clip θ; default null (none, as Keras). */
  clip?: number | null;
  /** Default full BPTT over each sequence. */
  truncation?: Truncation;
  lrSchedule?: LrScheduleSpec;
  /** Each sequence's length (else the rows' own lengths; see arrays.ts). */
  lengths?: ArrayLike<number>;
  callbacks?: Callbacks;
  /** Aborting stops fit after the batch in flight; fit resolves with the history so far (`aborted: true`). */
  signal?: AbortSignal;
  /** Seed of the shuffling and of a new Trainer's randomized truncation (default: from the steps taken so far). */
  seed?: number;
}

/** What fit returns, as Keras's History. */
export interface History {
  /** The epochs run (0-based). */
  epoch: number[];
  /** Per metric, one value per epoch: loss, accuracy, val_loss, val_accuracy. */
  history: Record<string, number[]>;
  /** True when the signal stopped fit early. */
  aborted: boolean;
}

/** The trainer settings fit asks the model for. */
export interface TrainerRequest {
  B: number;
  T: number;
  optimizer: OptimizerSpec;
  clip: number | null;
  truncation?: Truncation;
  lrSchedule?: LrScheduleSpec;
  seed: number;
}

/** What fit needs of a model beyond predict's. */
export interface TrainCore extends ModelCore {
  /** Training steps taken so far. */
  readonly steps: number;
  /** The model's Trainer for these settings (built or reused; it holds the current weights). */
  trainer(req: TrainerRequest): Promise<Trainer>;
}

/** The default optimizer (Keras's Adam). */
export const DEFAULT_OPTIMIZER: OptimizerSpec = { kind: 'adam', lr: 0.001 };

function validation(core: TrainCore, o: FitOptions, inputs: Inputs, targets: Targets): { train: [Inputs, Targets]; val?: [Inputs, Targets] } {
  if (o.validationData !== undefined && o.validationSplit !== undefined) throw new BpttError('validationSplit', show(o.validationSplit), 'give validationData or validationSplit, not both');
  if (o.validationData !== undefined) {
    const v = o.validationData as unknown;
    const r = v as { x?: unknown; y?: unknown; lengths?: ArrayLike<number> } | undefined;
    const [x, y, lengths] = Array.isArray(v) ? [v[0], v[1], undefined] : [r?.x, r?.y, r?.lengths];
    const vi = parseInputs(core.spec, x, lengths, 'validationData.x');
    return { train: [inputs, targets], val: [vi, parseTargets(core.spec, y, vi, 'validationData.y')] };
  }
  if (o.validationSplit === undefined || o.validationSplit === 0) return { train: [inputs, targets] };
  const f = o.validationSplit;
  if (typeof f !== 'number' || !(f > 0 && f < 1)) throw new BpttError('validationSplit', show(f), 'must be a fraction in [0, 1)');
  const nVal = Math.floor(inputs.N * f);
  if (nVal < 1 || nVal >= inputs.N) throw new BpttError('validationSplit', String(f), `leaves ${nVal} of N = ${inputs.N} sequences for validation: needs at least one on each side`);
  const nTrain = inputs.N - nVal;
  const tr = take(inputs, targets, Uint32Array.from({ length: nTrain }, (_, i) => i));
  const va = take(inputs, targets, Uint32Array.from({ length: nVal }, (_, i) => nTrain + i));
  return { train: [tr.inputs, tr.targets!], val: [va.inputs, va.targets!] };
}

/** Check fit's options; returns the checked numbers. */
function checkFit(o: FitOptions, N: number) {
  if (typeof o !== 'object' || o === null) throw new BpttError('options', show(o), 'must be an object');
  const epochs = requireInt('epochs', o.epochs ?? 1, 1, 1 << 30);
  const batchSize = requireInt('batchSize', o.batchSize ?? 32, 1, 1 << 20);
  const seed = o.seed === undefined ? undefined : requireInt('seed', o.seed, 0, 0xffffffff);
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') throw new BpttError('shuffle', show(o.shuffle), 'must be true or false');
  for (const k of ['onBatchEnd', 'onEpochEnd'] as const) {
    const f = o.callbacks?.[k];
    if (f !== undefined && typeof f !== 'function') throw new BpttError(`callbacks.${k}`, show(f), 'must be a function');
  }
  return { epochs, B: Math.min(batchSize, N), seed, shuffle: o.shuffle ?? true };
}

/** Train `core` on (x, y); everything is checked before any GPU work. */
export async function fitModel(core: TrainCore, x: unknown, y: unknown, o: FitOptions = {}): Promise<History> {
  const inputs = parseInputs(core.spec, x, o.lengths);
  const targets = parseTargets(core.spec, y, inputs);
  const { train, val } = validation(core, o, inputs, targets);
  const checked = checkFit(o, train[0].N);
  const { epochs, B, shuffle } = checked;
  // default: a seed from the steps taken, so that each fit call shuffles anew, reproducibly
  const seed = checked.seed ?? (core.steps * 0x9e3779b1) >>> 0;
  const [ti, tt] = train;
  const T = ti.T, classes = 'classes' in core.spec.output;
  const Q = 'regression' in core.spec.output ? core.spec.output.regression : core.spec.output.classes;
  const trainer = await core.trainer({ B, T, optimizer: o.optimizer ?? DEFAULT_OPTIMIZER, clip: o.clip === undefined ? null : o.clip, truncation: o.truncation, lrSchedule: o.lrSchedule, seed });
  const rng = createRng(seed);
  const history: History = { epoch: [], history: {}, aborted: false };
  const record = (k: string, v: number) => (history.history[k] ??= []).push(v);
  let batchIndex = 0;
  for (let epoch = 0; epoch < epochs && !history.aborted; epoch++) {
    const pending: Promise<{ loss: number; size: number; skipped: boolean }>[] = [];
    const callbacks: Promise<void>[] = [];
    for (const idx of batchesOf(epochOrder(ti.N, shuffle ? rng.next : undefined), B)) {
      if (o.signal?.aborted) {
        history.aborted = true;
        break;
      }
      const tb = timeMajor(ti, tt, idx, B, T, Q);
      const { count, ...batch } = tb;
      const step: StepInput = { ...batch, state: 'reset' };
      const handle = await trainer.step(step);
      const n = batchIndex++;
      pending.push(
        handle.stats.then((s) => {
          const logs = { loss: s.loss, size: count };
          if (o.callbacks?.onBatchEnd) callbacks.push(Promise.resolve(o.callbacks.onBatchEnd(n, logs)));
          return { loss: s.loss, size: count, skipped: s.skipped };
        }),
      );
    }
    const stats = await Promise.all(pending);
    await Promise.all(callbacks);
    if (stats.length === 0) break;
    let loss = 0, size = 0;
    for (const s of stats) if (!s.skipped) (loss += s.loss * s.size), (size += s.size);
    const logs: Logs = { loss: size > 0 ? loss / size : NaN };
    if (classes) logs.accuracy = (await evaluateData(core, ti, tt, B)).accuracy!;
    if (val) {
      const v = await evaluateData(core, val[0], val[1], B);
      logs.val_loss = v.loss;
      if (classes) logs.val_accuracy = v.accuracy!;
    }
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) record(k, v);
    await o.callbacks?.onEpochEnd?.(epoch, logs);
  }
  await trainer.flush();
  return history;
}
