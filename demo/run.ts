// One training run: its strategy and initial weights (the worker builds its
// Trainer from these, demo/training-worker.ts), and on the page the history the
// charts draw, from the worker's messages. Several runs (the strategy
// comparison) share data and initial weights.
import { charLmConfig, initWeights, createRng, truncationFromText, type Rng, type Truncation, type Weights, type StepStats, type XiPlan, type RnnConfig, type OptimizerSpec } from '../src/index';
import { truncationText, type Settings, type StrategyKind } from './settings';
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
  const config = charLmConfig(vocabSize, s.hidden, s.cell === 'rnn' ? s.activation : 'tanh', s.bias, s.cell, s.layers);
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

/**
 * A run as the page sees it: its settings, model and optimizer (as the worker
 * built them), and the history the charts draw, filled from the worker's
 * per-step messages (demo/training-worker.ts owns the Trainer).
 */
export class Run {
  readonly truncation: Truncation;
  /** The model and checked optimizer (kind, lr, β1, β2, ε) as the worker's trainer got them; null until the worker has built it. */
  info: { config: RnnConfig; optimizer: Required<OptimizerSpec> } | null = null;
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
  /** The latest step's tokens (T, B) time-major. */
  lastBatch: { tokens: Uint32Array } | null = null;
  /** The latest step's multipliers: every ξ and loss mask, per stream, step and sequence. */
  lastPlan: XiPlan | null = null;
  /** The latest diagnostics (‖∂L/∂h_t‖ per step, ρ(W_hh)) and their step. */
  lastDiag: { step: number; dh: Float32Array; rho: number } | null = null;
  private started = 0;
  private timed = 0;

  constructor(public label: string, readonly settings: Settings, kind: StrategyKind, readonly color = '#1f77b4') {
    this.truncation = truncationOf(kind, settings);
  }

  /** Step `n` was submitted in the worker, with these multipliers and tokens. */
  onStep(n: number, xi: Float32Array, plan: XiPlan, tokens: Uint32Array): void {
    if (!this.started) this.started = performance.now();
    this.steps = n;
    this.lastXi = xi;
    this.lastPlan = plan;
    this.lastBatch = { tokens };
    const elapsed = (performance.now() - this.started) / 1000;
    this.tokensPerSecond = (++this.timed * this.settings.batch * this.settings.steps) / Math.max(elapsed, 1e-3);
  }

  /** Step `n`'s statistics arrived. */
  onStats(n: number, s: Pick<StepStats, 'loss' | 'gradNorm' | 'skipped' | 'lr' | 'clippedTotal' | 'skippedTotal'>): void {
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
  }

  /** Step `n`'s diagnostics arrived: ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for LSTM) per step, ρ(W_hh). */
  onDiag(n: number, dh: Float32Array, dc: Float32Array, rho: number): void {
    this.lastDiag = { step: n, dh, rho };
    this.heat.push({ step: n, norms: dh });
    if (this.heat.length > HEAT_ROWS) this.heat.shift();
    if (dc.length) {
      this.heatC.push({ step: n, norms: dc });
      if (this.heatC.length > HEAT_ROWS) this.heatC.shift();
    }
    this.rho.push(n, rho);
    this.backGrowth.push(n, backwardGrowth(dh));
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
