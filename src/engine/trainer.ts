// The training step, entirely on the GPU: forward → loss → BPTT (with the
// truncation strategy's multipliers ξ) → global-norm clipping → optimizer
// update, in one command buffer. The loss and gradient norm come back
// asynchronously through a small ring of staging buffers, so the next step is
// encoded while the last one's numbers are still on their way (staging.ts).
import { BpttEngine, type BpttShape, type Diagnostics } from './bptt';
import { full, xiAt, type Truncation, type XiPlan } from './truncation';
import type { BatchInput } from './batch';
import { createClipUpdate, type OptimizerKind } from '../kernels/clip-update';
import { STATS, type StepStats } from '../gpu/stats';
import type { Bound } from '../kernels/kernel';
import { BufferArena, STORAGE, COPY_DST, COPY_SRC, MAP_READ, upload } from '../gpu/buffers';
import { StagingRing } from './staging';
import { lrScheduleFrom, type LrScheduleSpec } from '../util/schedule';
import { initWeights, checkWeights, unpackWeights, packWeights, type InitScheme, type Weights, type Tensor } from '../model/params';
import { validateConfig, type RnnConfig } from '../model/config';
import { createRng, type Rng } from '../util/rng';
import { BpttError, requireFinite, requireInt, requireOneOf, show } from '../errors';

export type { StepStats, OptimizerKind };

/** The optimizer and its hyperparameters. */
export interface OptimizerSpec {
  kind: OptimizerKind;
  /** Learning rate, ≥ 0. */
  lr: number;
  /** Adam's β1, β2 in [0, 1) (defaults 0.9, 0.999). */
  beta1?: number;
  beta2?: number;
  /** Adagrad/Adam ε (default 1e-8). */
  eps?: number;
}

/**
 * Everything a Trainer is made from; all of it is checked before any GPU
 * work. (The gradient streams come from the truncation, not from BpttShape.)
 */
export interface TrainerOptions extends Omit<BpttShape, 'streams' | 'forwardOnly'> {
  /** Default: full BPTT over each window. */
  truncation?: Truncation;
  /** Default: SGD with lr = 1 (d2l). */
  optimizer?: OptimizerSpec;
  /**
   * How the learning rate changes with the step (default constant
   * `optimizer.lr`); computed on the GPU from the update counter, so each step
   * in flight gets its own rate. Its rate arrives as `StepStats.lr`.
   */
  lrSchedule?: LrScheduleSpec;
  /** Clip threshold θ on the global gradient norm (> 0); null turns clipping off. Default 1. */
  clip?: number | null;
  /** Seed for the initial weights and the randomized truncation. Default 0. */
  seed?: number;
  /** Initial weights (default: fresh ones from `init`). */
  weights?: Weights<Tensor>;
  init?: InitScheme;
  /** Steps whose statistics may be in flight at once (default 3). */
  inflight?: number;
  /**
   * Keep a copy of the weights and optimizer state off the GPU every this
   * many steps (0, the default: never), for resuming after a lost device.
   */
  snapshotEvery?: number;
}

/** Weights and optimizer state read back from the GPU (see Trainer.snapshot). */
export interface TrainerSnapshot {
  config: RnnConfig;
  /** Steps submitted when the snapshot was taken. */
  calls: number;
  weights: Weights;
  optimizer: { kind: OptimizerKind; step: number; s1?: Weights; s2?: Weights };
}

/** The `devicelost` event's detail. */
export interface DeviceLostDetail {
  reason: string;
  message: string;
  /** The most recent snapshot (null if none was taken yet). */
  snapshot: TrainerSnapshot | null;
}

/** How the initial state of a step is set. */
export type StateMode = 'carry' | 'reset';

/**
 * One minibatch (time-major; with `lengths` and `lossWeights` for padded
 * sequences) and how to start and measure its step.
 */
export interface StepInput extends BatchInput {
  /**
   * 'reset' (default): the step starts from zero state, as independent
   * sequences should; 'carry': h0 = the last step's final state, detached, for
   * one contiguous stream cut into windows (d2l's sequential partitioning;
   * epochBatches and delayTask say so in each minibatch).
   */
  state?: StateMode;
  /** With 'carry': take the state after this many steps of the last window instead of its end (unchunked; streaming TBPTT). */
  carryFrom?: number;
  /** Also measure ‖∂L/∂h_t‖ per step and ρ(W_hh) (before the update) in this step. */
  diagnostics?: boolean;
}

/** What step() returns once the step is submitted. */
export interface StepHandle {
  /** 1-based index of this call. */
  index: number;
  /** The multipliers used: ξ_t of the first sequence and stream (T); see `plan` for all. */
  xi: Float32Array;
  /** Every multiplier and loss mask of the step (per stream, step and sequence). */
  plan: XiPlan;
  /** Loss, gradient norm, clip scale, skip flag: resolves once the GPU is done. */
  stats: Promise<StepStats>;
  /** With `diagnostics: true`: ‖∂L/∂h_t‖ per step and ρ(W_hh). */
  diagnostics?: Promise<Diagnostics>;
}

function checkOptimizer(o: OptimizerSpec): Required<OptimizerSpec> {
  if (typeof o !== 'object' || o === null) throw new BpttError('optimizer', show(o), 'must be an object');
  const kind = requireOneOf('optimizer.kind', o.kind, ['sgd', 'adagrad', 'adam'] as const);
  const lr = requireFinite('optimizer.lr', o.lr);
  if (lr < 0) throw new BpttError('optimizer.lr', String(lr), 'must be ≥ 0');
  const beta1 = requireFinite('optimizer.beta1', o.beta1 ?? 0.9);
  const beta2 = requireFinite('optimizer.beta2', o.beta2 ?? 0.999);
  if (beta1 < 0 || beta1 >= 1) throw new BpttError('optimizer.beta1', String(beta1), 'must be in [0, 1)');
  if (beta2 < 0 || beta2 >= 1) throw new BpttError('optimizer.beta2', String(beta2), 'must be in [0, 1)');
  const eps = requireFinite('optimizer.eps', o.eps ?? 1e-8);
  if (eps <= 0) throw new BpttError('optimizer.eps', String(eps), 'must be > 0');
  return { kind, lr, beta1, beta2, eps };
}

/**
 * Events: 'nonfinite' (CustomEvent<StepStats>) when a step's loss or gradient
 * norm was NaN/Inf and its update was skipped; 'devicelost'
 * (CustomEvent<DeviceLostDetail>) when the GPU device is lost.
 */
export class Trainer extends EventTarget {
  readonly engine: BpttEngine;
  readonly truncation: Truncation;
  readonly optimizer: Required<OptimizerSpec>;
  readonly clip: number | null;
  readonly lrSchedule: LrScheduleSpec;
  private readonly arena: BufferArena;
  private readonly update: { kernel: ReturnType<typeof createClipUpdate>; bound: Bound };
  private readonly ring: StagingRing;
  private readonly rng: Rng;
  private submitted = 0;
  private destroyed = false;
  private readonly snapshotEvery: number;
  private readonly s1: GPUBuffer;
  private readonly s2: GPUBuffer;
  /** The most recent statistics that have arrived. */
  last: StepStats | null = null;
  /** The most recent snapshot taken every `snapshotEvery` steps. */
  lastSnapshot: TrainerSnapshot | null = null;

  constructor(readonly device: GPUDevice, options: TrainerOptions) {
    super();
    if ((options as { forwardOnly?: unknown }).forwardOnly !== undefined) throw new BpttError('forwardOnly', show((options as { forwardOnly?: unknown }).forwardOnly), 'a Trainer needs the training buffers: use a BpttEngine with forwardOnly for inference');
    const truncation = options.truncation ?? full();
    const optimizer = checkOptimizer(options.optimizer ?? { kind: 'sgd', lr: 1 });
    const lrSchedule = lrScheduleFrom(options.lrSchedule ?? { kind: 'constant' });
    if (lrSchedule.kind === 'cosine' && (lrSchedule.min ?? 0) > optimizer.lr) {
      throw new BpttError('lrSchedule.min', String(lrSchedule.min), `must be ≤ optimizer.lr = ${optimizer.lr}`);
    }
    const clip = options.clip === undefined ? 1 : options.clip;
    if (clip !== null && (typeof clip !== 'number' || !Number.isFinite(clip) || clip <= 0)) {
      throw new BpttError('clip', show(clip), 'must be a finite number > 0, or null to turn clipping off');
    }
    const seed = requireInt('seed', options.seed ?? 0, 0, 0xffffffff);
    const inflight = requireInt('inflight', options.inflight ?? 3, 1, 64);
    this.snapshotEvery = requireInt('snapshotEvery', options.snapshotEvery ?? 0, 0, 1 << 30);
    truncation.check(requireInt('steps', options.steps, 1, 1 << 20), requireInt('batch', options.batch, 1, 1 << 20));
    if (options.weights !== undefined) checkWeights(validateConfig(options.config), options.weights);
    this.truncation = truncation;
    this.optimizer = optimizer;
    this.lrSchedule = lrSchedule;
    this.clip = clip;
    this.rng = createRng(seed ^ 0x9e3779b9);
    const engine = new BpttEngine(device, { ...options, streams: truncation.streams(options.steps) });
    this.engine = engine;
    this.arena = new BufferArena(device, 'trainer');
    try {
      const weights = options.weights ?? initWeights(engine.config, createRng(seed), options.init);
      engine.writeWeights(weights);
      engine.writeH0();
      const n = engine.layout.total;
      const S = STORAGE | COPY_DST | COPY_SRC;
      const s1 = (this.s1 = this.arena.create('opt.s1', optimizer.kind === 'sgd' ? 16 : n * 4, S));
      const s2 = (this.s2 = this.arena.create('opt.s2', optimizer.kind === 'adam' ? n * 4 : 16, S));
      const kernel = createClipUpdate(device, optimizer.kind);
      const bound = kernel.bind(
        { stats: engine.buf.stats, params: engine.buf.params, grads: engine.buf.grads, s1, s2 },
        { n, lr: optimizer.lr, schedule: lrSchedule, clip: clip ?? 0, beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.eps },
      );
      this.update = { kernel, bound };
      this.ring = new StagingRing(this.arena, inflight, STATS.byteSize, engine.diagnosticsBytes);
    } catch (e) {
      this.destroy();
      throw e;
    }
    device.lost.then((info) => {
      if (this.destroyed) return;
      const detail: DeviceLostDetail = { reason: info.reason ?? 'unknown', message: info.message, snapshot: this.lastSnapshot };
      this.dispatchEvent(new CustomEvent('devicelost', { detail }));
    });
  }

  /**
   * Read the weights, the optimizer state and its step counter back, copied
   * in one command buffer after every step submitted so far (consistent).
   */
  async snapshot(): Promise<TrainerSnapshot> {
    if (this.destroyed) throw new BpttError('trainer', 'destroyed', 'this Trainer was destroyed');
    const n = this.engine.layout.total, calls = this.submitted;
    const k = this.optimizer.kind;
    const parts = 1 + (k === 'sgd' ? 0 : 1) + (k === 'adam' ? 1 : 0);
    const bytes = parts * n * 4 + STATS.byteSize;
    const staging = this.arena.create('snapshot', bytes, MAP_READ | COPY_DST);
    try {
      const enc = this.device.createCommandEncoder({ label: 'trainer.snapshot' });
      enc.copyBufferToBuffer(this.engine.buf.params, 0, staging, 0, n * 4);
      if (parts > 1) enc.copyBufferToBuffer(this.s1, 0, staging, n * 4, n * 4);
      if (parts > 2) enc.copyBufferToBuffer(this.s2, 0, staging, 2 * n * 4, n * 4);
      enc.copyBufferToBuffer(this.engine.buf.stats, 0, staging, parts * n * 4, STATS.byteSize);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const all = staging.getMappedRange().slice(0);
      staging.unmap();
      const L = this.engine.layout;
      const f = (i: number) => unpackWeights(L, new Float32Array(all, i * n * 4, n));
      return {
        config: this.engine.config,
        calls,
        weights: f(0),
        optimizer: { kind: k, step: STATS.decode(all.slice(parts * n * 4)).step, s1: parts > 1 ? f(1) : undefined, s2: parts > 2 ? f(2) : undefined },
      };
    } finally {
      this.arena.release(staging);
    }
  }

  /** Put a snapshot's weights and optimizer state (and its step counter) on the GPU. */
  restore(snap: TrainerSnapshot): void {
    if (this.destroyed) throw new BpttError('trainer', 'destroyed', 'this Trainer was destroyed');
    const c = this.engine.config;
    for (const k of Object.keys(c) as (keyof RnnConfig)[]) {
      if (snap.config[k] !== c[k]) throw new BpttError(`snapshot.config.${k}`, JSON.stringify(snap.config[k]), `does not match the trainer's ${JSON.stringify(c[k])}`);
    }
    if (snap.optimizer.kind !== this.optimizer.kind) throw new BpttError('snapshot.optimizer.kind', snap.optimizer.kind, `does not match the trainer's "${this.optimizer.kind}"`);
    checkWeights(c, snap.weights);
    if (snap.optimizer.s1) checkWeights(c, snap.optimizer.s1, 'snapshot.optimizer.s1');
    if (snap.optimizer.s2) checkWeights(c, snap.optimizer.s2, 'snapshot.optimizer.s2');
    this.engine.writeWeights(snap.weights);
    const L = this.engine.layout;
    if (snap.optimizer.s1 && this.optimizer.kind !== 'sgd') upload(this.device, this.s1, packWeights(L, snap.optimizer.s1));
    if (snap.optimizer.s2 && this.optimizer.kind === 'adam') upload(this.device, this.s2, packWeights(L, snap.optimizer.s2));
    upload(this.device, this.engine.buf.stats, new Uint32Array([snap.optimizer.step]), STATS.step * 4);
    this.submitted = snap.calls;
  }

  /** A new trainer on `device` that continues from `snap` (e.g. after a lost device). */
  static resume(device: GPUDevice, options: TrainerOptions, snap: TrainerSnapshot): Trainer {
    const t = new Trainer(device, { ...options, weights: snap.weights });
    try {
      t.restore(snap);
    } catch (e) {
      t.destroy();
      throw e;
    }
    return t;
  }

  /** Calls of step() submitted so far (not T, the window's steps: that is `options.steps`). */
  get calls(): number {
    return this.submitted;
  }

  /**
   * One training step on one minibatch (time-major tokens/targets or x/y).
   * Input is checked before any GPU work. Resolves once the step is submitted;
   * its statistics arrive later through `handle.stats`.
   */
  async step(input: StepInput): Promise<StepHandle> {
    if (this.destroyed) throw new BpttError('trainer', 'destroyed', 'this Trainer was destroyed; create a new one');
    const state = input.state ?? 'reset';
    if (state !== 'carry' && state !== 'reset') throw new BpttError('state', show(state), 'must be "carry" or "reset"');
    const e = this.engine;
    if (input.carryFrom !== undefined && state !== 'carry') throw new BpttError('carryFrom', show(input.carryFrom), "applies to state: 'carry' only (this step starts from zero state)");
    const carryFrom = input.carryFrom === undefined ? e.T : requireInt('carryFrom', input.carryFrom, 0, e.T);
    if (carryFrom !== e.T && e.chunks > 1) throw new BpttError('carryFrom', String(carryFrom), `needs an unchunked window (this one runs in ${e.chunks} chunks)`);
    e.writeBatch(input);
    const plan = this.truncation.plan(e.T, e.B, this.rng);
    const xi = Float32Array.from({ length: e.T }, (_, t) => xiAt(plan, 0, t, 0));
    const slot = await this.ring.acquire(this.submitted); // back-pressure: at most `inflight` steps in flight
    if (this.destroyed) throw new BpttError('trainer', 'destroyed', 'this Trainer was destroyed during the step');
    e.writeXi(plan);
    const enc = this.device.createCommandEncoder({ label: 'trainer.step' });
    if (state === 'carry') e.encodeCarryState(enc, carryFrom);
    else e.encodeResetState(enc);
    e.encodeStep(enc, { diagnostics: input.diagnostics });
    const pass = enc.beginComputePass({ label: 'trainer.update' });
    this.update.kernel.encode(pass, this.update.bound);
    pass.end();
    enc.copyBufferToBuffer(e.buf.stats, 0, slot.stats, 0, STATS.byteSize);
    if (input.diagnostics) enc.copyBufferToBuffer(e.buf.diag, 0, slot.diag, 0, slot.diag.size);
    this.device.queue.submit([enc.finish()]);
    this.submitted += 1;
    const stats = slot.stats.mapAsync(GPUMapMode.READ).then(() => {
      const s = STATS.decode(slot.stats.getMappedRange().slice(0));
      slot.stats.unmap();
      this.last = s;
      if (s.skipped) this.dispatchEvent(new CustomEvent('nonfinite', { detail: s }));
      return s;
    });
    // A trainer destroyed mid-flight rejects these; callers who ignore them see no unhandled rejection.
    stats.catch(() => {});
    let diagnostics: Promise<Diagnostics> | undefined;
    if (input.diagnostics) {
      diagnostics = slot.diag.mapAsync(GPUMapMode.READ).then(() => {
        const d = e.decodeDiagnostics(slot.diag.getMappedRange().slice(0));
        slot.diag.unmap();
        return d;
      });
      diagnostics.catch(() => {});
    }
    this.ring.track(slot, Promise.all([stats, diagnostics]));
    if (this.snapshotEvery && this.submitted % this.snapshotEvery === 0) {
      this.snapshot().then(
        (snap) => (this.lastSnapshot = snap),
        () => {}, // a device lost mid-snapshot keeps the previous one
      );
    }
    return { index: this.submitted, xi, plan, stats, diagnostics };
  }

  /** Wait for every step in flight; returns the latest statistics. */
  async flush(): Promise<StepStats | null> {
    await Promise.all(this.ring.inFlight().map((p) => p.catch(() => null)));
    return this.last;
  }

  /** The current weights (waits for the steps in flight, then reads back). */
  async weights(): Promise<Weights> {
    await this.flush();
    return this.engine.readWeights();
  }

  /** Same as destroy(). */
  dispose(): void {
    this.destroy();
  }

  /**
   * Destroy every GPU buffer this trainer owns: at once when no step is in
   * flight, else as soon as the in-flight readbacks settle (destroying a
   * buffer that is being mapped would abort them).
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const pending = this.ring?.inFlight() ?? [];
    const release = () => {
      this.update?.bound.destroy();
      this.engine?.destroy();
      this.arena.destroy();
    };
    if (pending.length === 0) release();
    else void Promise.allSettled(pending).then(release);
  }
}
