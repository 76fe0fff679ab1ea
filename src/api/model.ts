// A model made from a spec, with Keras's vocabulary: fit, evaluate, predict,
// stream, save, destroy. It owns at most one Trainer (built for the shape
// and optimizer of the last fit, rebuilt when they change, its weights and
// optimizer state carried over on the way) and a couple of forward-only
// engines for predict / evaluate. Between Trainers the weights and the
// optimizer state live here, off the GPU.
import { Trainer, type OptimizerSpec } from '../engine/trainer';
import { full, type Truncation } from '../engine/truncation';
import { initWeights, checkWeights, type Weights, type InitScheme, type Tensor } from '../model/params';
import type { ModelConfig } from '../model/config';
import { createRng } from '../util/rng';
import { BpttError, requireInt, show } from '../errors';
import { checkSpec, modelConfig, type CheckedSpec, type ModelSpec } from './spec';
import { parseInputs, parseTargets } from './arrays';
import { ForwardRunner, type ParamSource } from './forward';
import { predictOutputs, evaluateData, type Outputs } from './predict';
import { fitModel, DEFAULT_OPTIMIZER, type FitOptions, type History, type TrainCore, type TrainerRequest } from './fit';
import { Stream } from './stream';
import { encodeModel, decodeModel, type ModelState } from './format';

/** createModel's options. */
export interface CreateModelOptions {
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** 'pytorch' (default, U(±1/√H)) or 'd2l'. */
  init?: InitScheme;
  /** Start from these weights (engine names, see paramShapes) instead. */
  weights?: Weights<Tensor>;
}

/** predict's and evaluate's options. */
export interface PredictOptions {
  /** Each sequence's length (else the rows' own lengths). */
  lengths?: ArrayLike<number>;
  /** Sequences per forward pass (default 256; at most N). */
  batchSize?: number;
}

/** save's options. */
export interface SaveOptions {
  /** Include the optimizer state (default true); false writes weights only. */
  optimizer?: boolean;
}

const MAX_RUNNERS = 2;

/** A recurrent model you fit on your own arrays (see createModel). */
export class Model implements TrainCore {
  readonly config: ModelConfig;
  private weights: Weights;
  private opt: ModelState['optimizer'];
  private stepCount: number;
  private current: { trainer: Trainer; key: string; truncation: Truncation; optimizer: OptimizerSpec } | null = null;
  private readonly runners = new Map<string, ForwardRunner>();
  private readonly streams = new Set<Stream>();
  private destroyed = false;
  private readonly defaultTruncation = full();

  /** Use createModel or loadModel. */
  constructor(readonly device: GPUDevice, readonly spec: CheckedSpec, state: Omit<ModelState, 'spec'>) {
    this.config = modelConfig(spec);
    this.weights = state.weights;
    this.opt = state.optimizer;
    this.stepCount = state.step;
  }

  private live() {
    if (this.destroyed) throw new BpttError('model', 'destroyed', 'this Model was destroyed');
  }

  /** Training steps taken (over every fit, and before the model was saved). */
  get steps(): number {
    return this.current ? this.current.trainer.calls : this.stepCount;
  }

  /** The current weights' source: the Trainer's parameter buffer, or the model's copy. */
  private params(): ParamSource {
    return this.current ? { buffer: this.current.trainer.engine.buf.params } : { weights: this.weights };
  }

  /** @internal A forward-only runner for (B, T) holding the current weights. */
  forward(B: number, T: number): ForwardRunner {
    this.live();
    const key = `${B}x${T}`;
    let r = this.runners.get(key);
    if (r) this.runners.delete(key);
    else {
      r = this.newRunner(B, T);
      if (this.runners.size >= MAX_RUNNERS) {
        const [oldKey, old] = this.runners.entries().next().value!;
        old.destroy();
        this.runners.delete(oldKey);
      }
    }
    this.runners.set(key, r); // most recent last
    r.setParams(this.params());
    return r;
  }

  /** A forward-only runner for (B, T), or for fewer sequences per pass when B·T does not fit unchunked. */
  private newRunner(B: number, T: number): ForwardRunner {
    for (;;) {
      try {
        return new ForwardRunner(this.device, this.config, B, T);
      } catch (e) {
        if (!(e instanceof BpttError && e.field === 'steps' && B > 1)) throw e;
        B = Math.ceil(B / 2);
      }
    }
  }

  /** Read the Trainer's weights and optimizer state back into the model, and drop the Trainer. */
  private async retire(): Promise<void> {
    const c = this.current;
    if (!c) return;
    const snap = await c.trainer.snapshot();
    this.weights = snap.weights;
    this.opt = { spec: c.optimizer, state: snap.optimizer };
    this.stepCount = snap.calls;
    c.trainer.destroy();
    this.current = null;
  }

  /** @internal The Trainer for these settings: the current one, or a new one that continues from the model's state. */
  async trainer(req: TrainerRequest): Promise<Trainer> {
    this.live();
    const truncation = req.truncation ?? this.defaultTruncation;
    const key = JSON.stringify([req.B, req.T, req.optimizer, req.clip, req.lrSchedule ?? null]); // (the seed of a reused Trainer's randomized truncation goes on)
    if (this.current && this.current.key === key && this.current.truncation === truncation) return this.current.trainer;
    await this.retire();
    const trainer = new Trainer(this.device, { config: this.config, batch: req.B, steps: req.T, optimizer: req.optimizer, clip: req.clip, truncation, lrSchedule: req.lrSchedule, seed: req.seed, weights: this.weights });
    try {
      // the optimizer state carries over when the optimizer is the same kind; else it starts fresh
      const state = this.opt?.state.kind === req.optimizer.kind ? this.opt.state : { kind: req.optimizer.kind, step: 0 };
      trainer.restore({ config: this.config, calls: this.stepCount, weights: this.weights, optimizer: state });
    } catch (e) {
      trainer.destroy();
      throw e;
    }
    this.current = { trainer, key, truncation, optimizer: req.optimizer };
    return trainer;
  }

  /**
   * Train on x (inputs) and y (targets shaped to the head). Without
   * `optimizer`, a loaded model continues with its saved optimizer, a new one
   * uses Adam (lr 0.001). See FitOptions and arrays.ts for the shapes.
   */
  fit(x: unknown, y: unknown, options: FitOptions = {}): Promise<History> {
    this.live();
    const saved = this.opt?.spec;
    const optimizer = options?.optimizer ?? (saved && Number.isFinite(saved.lr) ? saved : DEFAULT_OPTIMIZER);
    return fitModel(this, x, y, { ...options, optimizer });
  }

  /** The training loss (and accuracy for class heads) on (x, y), forward only. */
  async evaluate(x: unknown, y: unknown, options: PredictOptions = {}): Promise<{ loss: number; accuracy?: number }> {
    this.live();
    const inputs = parseInputs(this.spec, x, options.lengths);
    const targets = parseTargets(this.spec, y, inputs);
    return evaluateData(this, inputs, targets, requireInt('batchSize', options.batchSize ?? 256, 1, 1 << 20));
  }

  /**
   * Outputs for x, forward only (no training buffers): [N][T][Q] with
   * returnSequences, else [N][Q] at each sequence's last real step; class
   * heads give probabilities.
   */
  async predict(x: unknown, options: PredictOptions = {}): Promise<Outputs> {
    this.live();
    const inputs = parseInputs(this.spec, x, options.lengths);
    return predictOutputs(this, inputs, requireInt('batchSize', options.batchSize ?? 256, 1, 1 << 20));
  }

  /** A stateful step-by-step predictor for `batch` sequences with the current weights (see Stream). */
  stream(options: { batch?: number } = {}): Stream {
    this.live();
    const s = new Stream(this, requireInt('batch', options.batch ?? 1, 1, 1 << 16), this.params(), () => this.streams.delete(s));
    this.streams.add(s);
    return s;
  }

  /** The current weights (engine names; see paramShapes). */
  async getWeights(): Promise<Weights> {
    this.live();
    return this.current ? this.current.trainer.weights() : this.weights;
  }

  /** The model as one file's bytes: spec, weights, optimizer state and step (see format.ts). */
  async save(options: SaveOptions = {}): Promise<Uint8Array> {
    this.live();
    if (options.optimizer !== undefined && typeof options.optimizer !== 'boolean') throw new BpttError('options.optimizer', show(options.optimizer), 'must be true or false');
    let state: Omit<ModelState, 'spec'> = { weights: this.weights, optimizer: this.opt, step: this.stepCount };
    if (this.current) {
      // read the Trainer's state back, and keep training on it afterwards
      const snap = await this.current.trainer.snapshot();
      state = { weights: snap.weights, optimizer: { spec: this.current.optimizer, state: snap.optimizer }, step: snap.calls };
    }
    return encodeModel({ spec: this.spec, ...state, optimizer: options.optimizer === false ? null : state.optimizer });
  }

  /** Free every GPU buffer the model (and its streams) hold. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.current?.trainer.destroy();
    this.current = null;
    for (const r of this.runners.values()) r.destroy();
    this.runners.clear();
    for (const s of [...this.streams]) s.destroy();
  }
}

/** A new model from a spec (checked before any GPU work). */
export function createModel(device: GPUDevice, spec: ModelSpec, options: CreateModelOptions = {}): Model {
  const checked = checkSpec(spec);
  const config = modelConfig(checked);
  const seed = requireInt('options.seed', options.seed ?? 0, 0, 0xffffffff);
  let weights: Weights;
  if (options.weights !== undefined) {
    const named = checkWeights(config, options.weights, 'options.weights');
    weights = Object.fromEntries(Object.entries(named).map(([k, v]) => [k, Float32Array.from(v)]));
  } else weights = initWeights(config, createRng(seed), options.init);
  return new Model(device, checked, { weights, optimizer: null, step: 0 });
}

/**
 * A model from a saved file (Model.save, a CLI checkpoint, or a PyTorch
 * state dict with `spec`): its weights, and its optimizer state when saved.
 */
export function loadModel(device: GPUDevice, bytes: Uint8Array, options: { spec?: ModelSpec } = {}): Model {
  const state = decodeModel(bytes, options.spec);
  return new Model(device, state.spec, state);
}
