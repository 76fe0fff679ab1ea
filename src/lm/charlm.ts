// A character-level language model around the trainer: d2l's training loop
// (sequential partitioning with carried state, or random sampling with reset
// state), perplexity, and generation after a prefix.
import { Trainer, type OptimizerSpec } from '../engine/trainer';
import { full, type Truncation } from '../engine/truncation';
import { charLmConfig, type Activation, type CellKind } from '../model/config';
import type { LrScheduleSpec } from '../util/schedule';
import type { InitScheme } from '../model/params';
import { epochBatches, type Partition, type Minibatch } from '../data/partition';
import type { Corpus } from '../data/text';
import { generateText } from './generate';
import { createRng, type Rng } from '../util/rng';
import { BpttError } from '../errors';

/** A character model's size, window, truncation, optimizer and partitioning (defaults: d2l's). */
export interface CharLmOptions {
  hidden?: number;
  /** B. */
  batch?: number;
  /** T, the window length (d2l's num_steps). */
  steps?: number;
  activation?: Activation;
  bias?: boolean;
  truncation?: Truncation;
  optimizer?: OptimizerSpec;
  /** How the learning rate changes over the updates (default constant). */
  lrSchedule?: LrScheduleSpec;
  /** 'rnn' (default), 'lstm' or 'gru'. */
  cell?: CellKind;
  /** Stacked recurrent layers (default 1). */
  layers?: number;
  clip?: number | null;
  partition?: Partition;
  seed?: number;
  init?: InitScheme;
  rows?: number;
}

/** What one epoch of training measured. */
export interface EpochResult {
  /** exp(mean training loss over the epoch's steps that were not skipped). */
  perplexity: number;
  meanLoss: number;
  steps: number;
  skipped: number;
  tokensPerSecond: number;
  seconds: number;
}

/** What trainEpoch's callback sees at each step. */
export interface StepInfo {
  epochStep: number;
  epochSteps: number;
  /** The latest loss that has arrived (a step or so late), NaN before the first. */
  loss: number;
  tokensPerSecond: number;
  batch: Minibatch;
}

/**
 * The chapter's character-level language model: a Trainer on a corpus with
 * d2l's training loop, perplexity and generation after a prefix.
 */
export class CharLM {
  readonly trainer: Trainer;
  readonly options: Required<Omit<CharLmOptions, 'optimizer' | 'init' | 'rows' | 'lrSchedule'>> & Pick<CharLmOptions, 'optimizer' | 'init' | 'rows' | 'lrSchedule'>;
  private readonly rng: Rng;

  constructor(readonly device: GPUDevice, readonly corpus: Corpus, options: CharLmOptions = {}) {
    const o = {
      hidden: options.hidden ?? 256,
      batch: options.batch ?? 32,
      steps: options.steps ?? 35,
      activation: options.activation ?? 'tanh',
      bias: options.bias ?? true,
      truncation: options.truncation ?? full(),
      clip: options.clip === undefined ? 1 : options.clip,
      partition: options.partition ?? 'sequential',
      seed: options.seed ?? 0,
      optimizer: options.optimizer,
      lrSchedule: options.lrSchedule,
      cell: options.cell ?? 'rnn',
      layers: options.layers ?? 1,
      init: options.init,
      rows: options.rows,
    };
    if (o.partition !== 'sequential' && o.partition !== 'random') throw new BpttError('partition', String(o.partition), 'must be "sequential" or "random"');
    if (corpus.ids.length < o.batch * o.steps + o.steps + 1) {
      throw new BpttError('corpus', `${corpus.ids.length} characters`, `is too short for batch=${o.batch} × steps=${o.steps}: needs at least ${o.batch * o.steps + o.steps + 1}`);
    }
    this.options = o;
    this.rng = createRng(o.seed + 1);
    this.trainer = new Trainer(device, {
      config: charLmConfig(corpus.vocab.size, o.hidden, o.activation, o.bias, o.cell, o.layers),
      batch: o.batch,
      steps: o.steps,
      truncation: o.truncation,
      optimizer: o.optimizer ?? { kind: 'sgd', lr: 1 },
      lrSchedule: o.lrSchedule,
      clip: o.clip,
      seed: o.seed,
      init: o.init,
      rows: o.rows,
    });
  }

  /** The minibatches of the next epoch. */
  nextEpoch(): Minibatch[] {
    return epochBatches(this.corpus.ids, this.options.batch, this.options.steps, this.options.partition, this.rng);
  }

  /** Train one epoch; `onStep` sees each step as it is submitted. */
  async trainEpoch(onStep?: (info: StepInfo) => void): Promise<EpochResult> {
    const batches = this.nextEpoch();
    const t0 = performance.now();
    let sum = 0, n = 0, skipped = 0;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < batches.length; i++) {
      const h = await this.trainer.step(batches[i]);
      pending.push(
        h.stats.then((s) => {
          if (s.skipped) skipped++;
          else {
            sum += s.loss;
            n++;
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      onStep?.({
        epochStep: i + 1,
        epochSteps: batches.length,
        loss: this.trainer.last?.loss ?? NaN,
        tokensPerSecond: ((i + 1) * this.options.batch * this.options.steps) / Math.max(secs, 1e-9),
        batch: batches[i],
      });
    }
    await Promise.all(pending);
    const seconds = (performance.now() - t0) / 1000;
    const meanLoss = n ? sum / n : NaN;
    return {
      perplexity: Math.exp(meanLoss),
      meanLoss,
      steps: batches.length,
      skipped,
      tokensPerSecond: (batches.length * this.options.batch * this.options.steps) / seconds,
      seconds,
    };
  }

  /**
   * Generate `count` characters after `prefix` (d2l's predict) on the GPU,
   * from the trainer's current weights: warm the state up on the prefix,
   * then feed back each prediction. temperature 0 is greedy (argmax); above
   * 0 samples softmax(o / temperature).
   */
  async predict(prefix: string, count: number, temperature = 0, rng: Rng = createRng(1)): Promise<string> {
    return generateText(this.device, this.trainer.engine.config, this.trainer.engine, this.corpus.vocab, prefix, count, temperature, rng);
  }

  /** Destroy the trainer's GPU buffers. */
  destroy(): void {
    this.trainer.destroy();
  }

  /** Same as destroy(). */
  dispose(): void {
    this.destroy();
  }
}
