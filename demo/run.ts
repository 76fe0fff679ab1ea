// One training run in the page: a Trainer on a data source, with the history
// the charts draw. Several runs (the strategy comparison) share data and
// initial weights.
import { Trainer, charLmConfig, initWeights, createRng, truncationFromText, type Rng, type Truncation, type Weights, type Minibatch, type StepStats, type XiPlan, type Diagnostics } from '../src/index';
import { optimizerOf, scheduleOf, truncationText, type Settings, type StrategyKind } from './settings';
import type { Source } from './data';
import { DecimatedSeries } from './series';

/** Steps skipped in a row after which the page pauses training (every update is being thrown away). */
export const SKIPPED_IN_A_ROW_PAUSE = 20;

/** The strategy of `kind` under the settings (the library's one parser of truncation text; throws its BpttError). */
export function truncationOf(kind: StrategyKind, s: Settings): Truncation {
  const base = truncationFromText(truncationText(kind, s));
  return s.lossAt === 'last' ? lastLossOnly(base) : base;
}

/**
 * The strategy with only the last step's loss sending a gradient (every other
 * loss mask 0): ‖∂L/∂h_t‖ is then that one loss's gradient k = T − 1 − t
 * steps back, the chapter's product of Jacobians. The loss shown is still the
 * mean over every step.
 */
export function lastLossOnly(base: Truncation): Truncation {
  return Object.freeze({
    ...base,
    plan(T: number, B: number, rng?: Rng): XiPlan {
      const p = base.plan(T, B, rng);
      const stride = T + T * B; // per stream: T loss masks, then T·B multipliers (XiPlan)
      for (let s = 0; s < p.streams; s++) p.data.fill(0, s * stride, s * stride + T - 1);
      return p;
    },
    describe: `${base.describe}, last loss only`,
  });
}

/**
 * The initial weights of the settings' model (seeded, so runs of one model
 * start equal): PyTorch's initialisation, every layer's W_hh scaled by
 * `gain`, and `forgetBias` added to the LSTM forget gate's input bias.
 */
export function startWeights(s: Settings, vocabSize: number): Weights {
  const config = charLmConfig(vocabSize, s.hidden, s.activation, s.bias, s.cell, s.layers);
  const w = initWeights(config, createRng(s.seed));
  const H = s.hidden;
  for (const name of Object.keys(w) as (keyof Weights)[]) {
    if (s.gain !== 1 && (name === 'W_hh' || name.startsWith('weight_hh'))) w[name] = w[name].map((x) => x * s.gain);
    // PyTorch's gate order i, f, g, o: rows H … 2H are the forget gate's
    if (s.cell === 'lstm' && s.forgetBias && name.startsWith('bias_ih')) w[name] = w[name].map((x, i) => (i >= H && i < 2 * H ? x + s.forgetBias : x));
  }
  return w;
}

/** Heatmap rows kept per run. */
export const HEAT_ROWS = 240;

export interface HeatRow {
  step: number;
  norms: Float32Array;
}

export class Run {
  readonly trainer: Trainer;
  readonly truncation: Truncation;
  steps = 0;
  // Every history is bounded: fixed-capacity series, and the last HEAT_ROWS heatmap rows.
  readonly loss = new DecimatedSeries();
  readonly gradNorm = new DecimatedSeries();
  readonly rho = new DecimatedSeries();
  /** Measured growth of ‖∂L/∂h_t‖ per step back in time (fit over the window). */
  readonly backGrowth = new DecimatedSeries();
  /** The learning rate each update used, as the GPU computed it (StepStats.lr). */
  readonly lr = new DecimatedSeries();
  readonly heat: HeatRow[] = [];
  /** ‖∂L/∂c_t‖ rows (LSTM only; empty otherwise). */
  readonly heatC: HeatRow[] = [];
  /** Steps whose statistics have arrived. */
  measured = 0;
  clipped = 0;
  /** Steps whose update was skipped because the loss or gradient norm was NaN/∞ (the trainer's skippedTotal). */
  skipped = 0;
  /** The latest of those steps' index, and how many of the latest arrivals in a row were skipped. */
  lastSkippedStep = 0;
  skippedInARow = 0;
  /** The latest statistics: their step index and whether that step was skipped. */
  latest: { step: number; loss: number; skipped: boolean } | null = null;
  tokensPerSecond = 0;
  lastXi: Float32Array | null = null;
  lastBatch: Minibatch | null = null;
  /** The latest step's multipliers: every ξ and loss mask, per stream, step and sequence. */
  lastPlan: XiPlan | null = null;
  /** The latest diagnostics (‖∂L/∂h_t‖ per step, ρ(W_hh)) and their step. */
  lastDiag: { step: number; dh: Float32Array; rho: number } | null = null;
  private started = 0;
  private timed = 0;

  constructor(device: GPUDevice, public label: string, readonly settings: Settings, readonly source: Source, kind: StrategyKind, weights: Weights, readonly color = '#1f77b4') {
    this.truncation = truncationOf(kind, settings);
    this.trainer = new Trainer(device, {
      config: charLmConfig(source.vocabSize, settings.hidden, settings.activation, settings.bias, settings.cell, settings.layers),
      batch: settings.batch,
      steps: settings.steps,
      truncation: this.truncation,
      optimizer: optimizerOf(settings),
      lrSchedule: scheduleOf(settings),
      clip: settings.clip,
      seed: settings.seed,
      weights,
    });
  }

  /** Submit one step on `batch`; its numbers land in the history when they arrive. */
  async step(batch: Minibatch, diagnostics: boolean): Promise<void> {
    if (!this.started) this.started = performance.now();
    const h = await this.trainer.step({ ...batch, diagnostics });
    const n = ++this.steps;
    this.lastXi = h.xi;
    this.lastPlan = h.plan;
    this.lastBatch = batch;
    const elapsed = (performance.now() - this.started) / 1000;
    this.tokensPerSecond = (++this.timed * this.settings.batch * this.settings.steps) / Math.max(elapsed, 1e-3);
    h.stats.then((s: StepStats) => {
      this.measured++;
      this.latest = { step: n, loss: s.loss, skipped: s.skipped };
      if (s.skipped) {
        this.lastSkippedStep = n;
        this.skippedInARow++;
      } else {
        this.skippedInARow = 0;
        this.loss.push(n, s.loss);
      }
      this.gradNorm.push(n, s.gradNorm);
      this.lr.push(n, s.lr);
      this.clipped = s.clippedTotal;
      this.skipped = s.skippedTotal;
    }, () => {});
    h.diagnostics?.then((d: Diagnostics) => {
      this.lastDiag = { step: n, dh: d.dhNorms, rho: d.spectralRadius };
      this.heat.push({ step: n, norms: d.dhNorms });
      if (this.heat.length > HEAT_ROWS) this.heat.shift();
      if (d.dcNorms.length) {
        this.heatC.push({ step: n, norms: d.dcNorms });
        if (this.heatC.length > HEAT_ROWS) this.heatC.shift();
      }
      this.rho.push(n, d.spectralRadius);
      this.backGrowth.push(n, backwardGrowth(d.dhNorms));
    }, () => {});
  }

  /** The loss of the latest finite step (NaN before any). */
  get lastLoss(): number {
    return this.loss.last?.value ?? NaN;
  }

  /** Carry on from a loaded checkpoint: the step counter continues from `step`. */
  continueFrom(step: number): void {
    this.steps = step;
    this.started = 0;
    this.timed = 0;
  }

  destroy(): void {
    this.trainer.destroy();
  }
}

/** exp(−slope) of a least-squares fit of ln‖∂L/∂h_t‖ against t: the factor per step back in time. */
export function backwardGrowth(norms: Float32Array): number {
  const pts: [number, number][] = [];
  norms.forEach((v, t) => v > 0 && Number.isFinite(v) && pts.push([t, Math.log(v)]));
  if (pts.length < 2) return NaN;
  const n = pts.length, mx = pts.reduce((s, p) => s + p[0], 0) / n, my = pts.reduce((s, p) => s + p[1], 0) / n;
  let num = 0, den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return Math.exp(-num / den);
}
