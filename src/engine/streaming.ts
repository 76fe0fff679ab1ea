// Streaming TBPTT(k1, k2) (Williams & Peng): the state is carried across
// minibatches, and each call brings k1 new steps per sequence whose losses
// backpropagate k2 ≥ k1 steps back — into the last k2 − k1 steps of earlier
// calls. (The in-window form, where one window's losses are cut in blocks of
// k1, is the `tbptt(k1, k2)` truncation strategy.)
//
// Each step runs a window of k2 steps: the k2 − k1 steps kept from before,
// then the k1 new ones. Only the new steps' losses count (lossFrom = k2 − k1),
// the gradient runs through the whole window (full BPTT inside it), and the
// window's initial state is the state before its first step, carried on the
// GPU from the previous window (the state after its first k1 steps). The
// kept steps' inputs stay on the CPU too: they are ids or small vectors, and
// the token buckets of the weight gradient are made there anyway. The kept
// steps are recomputed with the current weights (the cost: k2 / k1 forward
// steps per new step).
import { Trainer, type TrainerOptions, type StepHandle } from './trainer';
import { full } from './truncation';
import type { BatchInput } from './batch';
import { BpttError, requireInt, show } from '../errors';

/** A streaming trainer's options: a Trainer's, with k1 and k2 in place of steps and truncation. */
export interface StreamingOptions extends Omit<TrainerOptions, 'steps' | 'truncation' | 'chunk' | 'lossFrom'> {
  /** New steps per call. */
  k1: number;
  /** Steps each call's losses backpropagate through (k2 ≥ k1). */
  k2: number;
}

/**
 * Streaming TBPTT(k1, k2): call `step` with the stream's steps in order. The
 * first call brings k2 steps (its first k2 − k1 are burn-in: they set the
 * state and the gradient path up, their losses are not counted); every later
 * call brings k1.
 */
export class StreamingTbptt {
  readonly trainer: Trainer;
  readonly k1: number;
  readonly k2: number;
  private kept: { input: number[]; target: number[] } | null = null;

  constructor(device: GPUDevice, options: StreamingOptions) {
    const k1 = requireInt('k1', options.k1, 1, 1 << 20);
    const k2 = requireInt('k2', options.k2, 1, 1 << 20);
    if (k2 < k1) throw new BpttError('k2', String(k2), `must be ≥ k1 = ${k1}`);
    if (k2 === k1) throw new BpttError('k2', String(k2), `equals k1: that is regular truncation, use a Trainer with regular(${k1}) (or k2 > k1)`);
    this.k1 = k1;
    this.k2 = k2;
    const { k1: _a, k2: _b, ...rest } = options;
    this.trainer = new Trainer(device, { ...rest, steps: k2, truncation: full(), lossFrom: k2 - k1, chunk: k2 });
  }

  /** Floats (or ids) per step of the input and of the target. */
  private widths(): [number, number] {
    const c = this.trainer.engine.config, B = this.trainer.engine.B;
    return [(c.input === 'tokens' ? 1 : c.inputSize) * B, (c.loss === 'mse' ? c.outputSize : 1) * B];
  }

  /** Train on the next steps of the stream (time-major, B sequences): k2 steps the first time, then k1. */
  async step(input: BatchInput): Promise<StepHandle> {
    const c = this.trainer.engine.config;
    // one unbroken stream per sequence: a padded step followed by real ones (the next call's) has no exact gradient in the reverse kernels
    for (const k of ['lengths', 'lossWeights'] as const) {
      if (input[k] !== undefined) throw new BpttError(k, 'given', 'streaming TBPTT trains unbroken streams: every step of every sequence is real (use Trainer.step for padded batches)');
    }
    const first = this.kept === null;
    const n = first ? this.k2 : this.k1;
    const [wi, wt] = this.widths();
    const x = c.input === 'tokens' ? input.tokens : input.x;
    const y = c.loss === 'mse' ? input.y : input.targets;
    const field = c.input === 'tokens' ? 'tokens' : 'x';
    if (!x || x.length !== n * wi) throw new BpttError(field, x ? `length ${x.length}` : show(x), `must hold ${first ? 'k2' : 'k1'} = ${n} steps (${n * wi} values; the first call brings k2 steps, later ones k1)`);
    if (!y || y.length !== n * wt) throw new BpttError(c.loss === 'mse' ? 'y' : 'targets', y ? `length ${y.length}` : show(y), `must hold ${n} steps (${n * wt} values)`);
    const win = first ? { input: Array.from(x), target: Array.from(y) } : { input: [...this.kept!.input, ...Array.from(x)], target: [...this.kept!.target, ...Array.from(y)] };
    const batch: BatchInput = c.input === 'tokens' ? { tokens: win.input } : { x: win.input };
    if (c.loss === 'mse') batch.y = win.target;
    else batch.targets = win.target;
    const handle = await this.trainer.step({ ...batch, state: first ? 'reset' : 'carry', carryFrom: first ? undefined : this.k1 });
    const keep = this.k2 - this.k1;
    this.kept = { input: win.input.slice((this.k2 - keep) * wi), target: win.target.slice((this.k2 - keep) * wt) };
    return handle;
  }

  /** Destroy the trainer's GPU buffers. */
  destroy(): void {
    this.trainer.destroy();
  }
}
