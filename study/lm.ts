// Perplexity against steps and against wall time: the character model
// trained on the corpus with each strategy at matched settings (same weights
// at the start, same minibatches in the same order, same optimizer), then
// its perplexity on held-out text, measured with the full forward pass.
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { epochBatches, type Minibatch } from '../src/data/partition';
import { createRng } from '../src/util/rng';
import type { Weights } from '../src/model/params';
import type { StudyOptions } from './options';
import type { Strategy } from './strategies';

/** One point of a training curve: perplexity over a block of steps. */
export interface CurvePoint {
  /** The block's last step (1-based). */
  step: number;
  /** Seconds since the first step was submitted until this step's numbers arrived. */
  seconds: number;
  /** exp(mean training loss over the block). */
  perplexity: number;
}

/** One strategy's training run with one seed. */
export interface LmRun {
  label: string;
  seed: number;
  curve: CurvePoint[];
  /** Perplexity on the held-out windows after training (full forward, state carried). */
  heldOut: number;
  /** Wall time of the whole run (steps submitted and finished), seconds. */
  seconds: number;
  /** Gradient streams the engine ran (TBPTT(k1, k2): ⌈k2 / k1⌉). */
  streams: number;
  skipped: number;
  /** The weights after training (for the gradient study at fixed weights). */
  weights: Weights;
}

/** The corpus cut into a training part (the first 90%) and held-out text (the rest). */
export function splitCorpus(ids: Uint32Array): { train: Uint32Array; heldOut: Uint32Array } {
  const cut = Math.floor(ids.length * 0.9);
  return { train: ids.subarray(0, cut), heldOut: ids.subarray(cut) };
}

/** Up to `n` sequential held-out windows (B × T), state carried from the first. */
export function heldOutWindows(ids: Uint32Array, o: StudyOptions, n: number): Minibatch[] {
  if (ids.length < o.batch * o.window + o.window + 1) return [];
  return epochBatches(ids, o.batch, o.window, 'sequential', createRng(12345)).slice(0, n);
}

/** Mean loss of the trainer's current weights over `windows` (forward only, state carried). */
export async function evalLoss(trainer: Trainer, windows: Minibatch[]): Promise<number> {
  const e = trainer.engine;
  let sum = 0;
  for (let i = 0; i < windows.length; i++) {
    e.writeBatch(windows[i]);
    const enc = e.device.createCommandEncoder({ label: 'study.eval' });
    if (i === 0) e.encodeResetState(enc);
    else e.encodeCarryState(enc);
    e.encodeStep(enc);
    e.device.queue.submit([enc.finish()]);
    sum += await e.readLoss();
  }
  return sum / windows.length;
}

/**
 * Train one strategy with one seed for o.steps steps (epochs restart as they
 * run out) and measure it.
 */
export async function trainLm(device: GPUDevice, ids: { train: Uint32Array; heldOut: Uint32Array }, vocab: number, s: Strategy, o: StudyOptions, seed: number): Promise<LmRun> {
  const trainer = new Trainer(device, {
    config: charLmConfig(vocab, o.hidden),
    batch: o.batch,
    steps: o.window,
    truncation: s.truncation,
    optimizer: { kind: 'adam', lr: o.lr },
    clip: o.clip,
    seed,
  });
  try {
    const rng = createRng(seed + 1);
    const losses: number[] = new Array(o.steps).fill(NaN);
    const arrived: number[] = new Array(o.steps).fill(NaN);
    let queue: Minibatch[] = [];
    let skipped = 0;
    const t0 = performance.now();
    for (let i = 0; i < o.steps; i++) {
      if (!queue.length) queue = epochBatches(ids.train, o.batch, o.window, 'sequential', rng);
      const h = await trainer.step(queue.shift()!);
      h.stats.then((st) => {
        arrived[i] = (performance.now() - t0) / 1000;
        if (st.skipped) skipped++;
        else losses[i] = st.loss;
      });
    }
    await trainer.flush();
    const seconds = (performance.now() - t0) / 1000;
    const block = Math.max(1, Math.round(o.steps / 24));
    const curve: CurvePoint[] = [];
    for (let end = block; end <= o.steps; end += block) {
      const part = losses.slice(end - block, end).filter(Number.isFinite);
      const mean = part.reduce((a, b) => a + b, 0) / part.length;
      curve.push({ step: end, seconds: arrived[end - 1], perplexity: Math.exp(mean) });
    }
    const windows = heldOutWindows(ids.heldOut, o, o.evalWindows);
    const heldOut = windows.length ? Math.exp(await evalLoss(trainer, windows)) : NaN;
    const weights = await trainer.weights();
    return { label: s.label, seed, curve, heldOut, seconds, streams: trainer.engine.streams, skipped, weights };
  } finally {
    trainer.destroy();
  }
}

/** The mean curve over seeds (step by step; seconds and perplexity averaged). */
export function meanCurve(runs: LmRun[]): CurvePoint[] {
  return runs[0].curve.map((p, i) => ({
    step: p.step,
    seconds: runs.reduce((a, r) => a + r.curve[i].seconds, 0) / runs.length,
    perplexity: runs.reduce((a, r) => a + r.curve[i].perplexity, 0) / runs.length,
  }));
}
