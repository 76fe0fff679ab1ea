// What the training worker runs: a Model (src/api) created from a spec or
// loaded from bytes, fitted with Model.fit, saved with Model.save. The
// worker adds one thing fit does not have: pausing between batches. fit
// keeps several steps in flight and calls onBatchEnd as each loss arrives,
// so a pause cannot wait in onBatchEnd; instead the model's Trainer is
// wrapped so that each step first passes `beforeStep` (the worker's gate).
import { createModel, loadModel, type Model, type CreateModelOptions } from '../api/model';
import type { FitOptions, History, Logs, TrainerRequest } from '../api/fit';
import type { ModelSpec } from '../api/spec';
import type { Trainer } from '../engine/trainer';
import { truncationFrom, truncationFromText, type TruncationSpec } from '../engine/truncation';
import { BpttError, show } from '../errors';

export type { History, Logs };

/** fit's options that travel to the worker: callbacks and signal stay on the page (events, abort()); truncation as text or a spec. */
export interface WorkerFitOptions extends Omit<FitOptions, 'callbacks' | 'signal' | 'truncation'> {
  /** 'full', 'tbptt:k1:k2', 'regular:τ', 'randomized:π'… (truncationFromText) or a TruncationSpec. */
  truncation?: string | TruncationSpec;
}

/** Where the worker's model comes from: a spec (with createModel's options), or saved bytes to continue from. */
export type ModelSource = { spec: ModelSpec; modelOptions?: CreateModelOptions; model?: undefined } | { model: Uint8Array; spec?: ModelSpec; modelOptions?: undefined };

/** Hooks the worker passes to fitPaced. */
export interface FitHooks {
  onBatchEnd(batch: number, logs: Logs): void | Promise<void>;
  onEpochEnd(epoch: number, logs: Logs): void | Promise<void>;
  signal: AbortSignal;
  /** Awaited before each training step is submitted (a pause waits here); `trainer` is the one the step goes to. */
  beforeStep(trainer: Trainer): Promise<void>;
}

/** The model for a job (checked before any GPU work). */
export function modelFrom(device: GPUDevice, src: ModelSource): Model {
  if (typeof src !== 'object' || src === null) throw new BpttError('options', show(src), 'must hold spec or model');
  if (src.model !== undefined) {
    if (!(src.model instanceof Uint8Array)) throw new BpttError('model', show(src.model), 'must be a Uint8Array (model.save())');
    return loadModel(device, src.model, src.spec === undefined ? {} : { spec: src.spec });
  }
  return createModel(device, src.spec, src.modelOptions ?? {});
}

/** A Trainer whose step() waits for `before` first; everything else is the Trainer's. */
function paced(t: Trainer, before: (t: Trainer) => Promise<void>): Trainer {
  return new Proxy(t, {
    get(target, prop) {
      if (prop === 'step') return async (input: Parameters<Trainer['step']>[0]) => (await before(target), target.step(input));
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** model.fit with the worker's hooks; resolves with fit's History (aborted: true when the signal stopped it). */
export function fitPaced(model: Model, x: unknown, y: unknown, o: WorkerFitOptions, hooks: FitHooks): Promise<History> {
  if (typeof o !== 'object' || o === null) throw new BpttError('fitOptions', show(o), 'must be an object');
  const t = o.truncation;
  const truncation = t === undefined ? undefined : typeof t === 'string' ? truncationFromText(t) : truncationFrom(t);
  const trainer = model.trainer.bind(model);
  model.trainer = async (req: TrainerRequest) => paced(await trainer(req), hooks.beforeStep);
  return model.fit(x, y, {
    ...o,
    truncation,
    signal: hooks.signal,
    callbacks: { onBatchEnd: hooks.onBatchEnd, onEpochEnd: hooks.onEpochEnd },
  });
}
