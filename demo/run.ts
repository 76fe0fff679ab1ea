// One training run in the page: a Trainer on a data source, with the history
// the charts draw. Several runs (the strategy comparison) share data and
// initial weights.
import { Trainer, charLmConfig, full, regular, randomized, type Truncation, type Weights, type Minibatch, type StepStats } from '../src/index';
import type { Settings, StrategyKind } from './settings';
import type { Source } from './data';

export function truncationOf(kind: StrategyKind, s: Settings): Truncation {
  if (kind === 'regular') return regular(s.tau);
  if (kind === 'randomized') return randomized(s.pi);
  return full();
}

export interface HeatRow {
  step: number;
  norms: Float32Array;
}

export class Run {
  readonly trainer: Trainer;
  readonly truncation: Truncation;
  steps = 0;
  readonly loss: { step: number; value: number }[] = [];
  readonly gradNorm: { step: number; value: number }[] = [];
  readonly rho: { step: number; value: number }[] = [];
  /** Measured growth of ‖∂L/∂h_t‖ per step back in time (fit over the window). */
  readonly backGrowth: { step: number; value: number }[] = [];
  readonly heat: HeatRow[] = [];
  clipped = 0;
  skipped = 0;
  tokensPerSecond = 0;
  lastXi: Float32Array | null = null;
  lastBatch: Minibatch | null = null;
  private started = 0;

  constructor(device: GPUDevice, readonly label: string, readonly settings: Settings, readonly source: Source, kind: StrategyKind, weights: Weights) {
    this.truncation = truncationOf(kind, settings);
    this.trainer = new Trainer(device, {
      config: charLmConfig(source.vocabSize, settings.hidden, settings.activation, settings.bias),
      batch: settings.batch,
      steps: settings.steps,
      truncation: this.truncation,
      optimizer: { kind: settings.optimizer, lr: settings.lr },
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
    this.lastBatch = batch;
    const elapsed = (performance.now() - this.started) / 1000;
    this.tokensPerSecond = (n * this.settings.batch * this.settings.steps) / Math.max(elapsed, 1e-3);
    h.stats.then((s: StepStats) => {
      if (s.skipped) this.skipped++;
      else this.loss.push({ step: n, value: s.loss });
      this.gradNorm.push({ step: n, value: s.gradNorm });
      this.clipped = s.clippedTotal;
    }, () => {});
    h.diagnostics?.then((d) => {
      this.heat.push({ step: n, norms: d.dhNorms });
      if (this.heat.length > 240) this.heat.shift();
      if (Number.isFinite(d.spectralRadius)) this.rho.push({ step: n, value: d.spectralRadius });
      this.backGrowth.push({ step: n, value: backwardGrowth(d.dhNorms) });
    }, () => {});
  }

  get lastLoss(): number {
    return this.loss.length ? this.loss[this.loss.length - 1].value : NaN;
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
