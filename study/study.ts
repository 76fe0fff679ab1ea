// The chapter's comparison, measured: every section of the study run on one
// device with one set of matched settings (see options.ts), returning plain
// numbers; report.ts turns them into markdown and figures.
import { makeCorpus } from '../src/data/text';
import { epochBatches } from '../src/data/partition';
import { describeAdapter } from '../src/gpu/device';
import { createRng } from '../src/util/rng';
import { charLmConfig } from '../src/model/config';
import { DELAY_ALPHABET } from '../src/data/delay';
import type { StudyOptions } from './options';
import { studyStrategies, fullStrategy, randomizedStrategy, round } from './strategies';
import { trainLm, splitCorpus, heldOutWindows, meanCurve, type LmRun, type CurvePoint } from './lm';
import { sampleGradients, gradientStats, type GradientStats } from './gradients';
import { delayRun, type DelayRun } from './delay';
import { forwardMode, type ForwardModeResult } from './forward-mode';

/** One strategy's language-model summary (means over seeds). */
export interface LmSummary {
  label: string;
  /** Held-out perplexity after training (mean over seeds) and its standard deviation over seeds (0 for one seed). */
  heldOut: number;
  heldOutSd: number;
  /** Training perplexity of the last block of steps. */
  finalTrain: number;
  /** Wall time per training step, ms. */
  msPerStep: number;
  streams: number;
  skipped: number;
  curve: CurvePoint[];
}

/** Randomized truncation's gradient at one π, shared or per-sequence ξ. */
export interface SweepRow extends GradientStats {
  pi: number;
  form: 'shared' | 'per sequence';
}

/** Everything the study measured. */
export interface StudyResult {
  options: StudyOptions;
  corpus: { name: string; characters: number; vocab: number; trainTokens: number; heldOutTokens: number };
  device: string;
  lm: { summary: LmSummary[]; runs: Omit<LmRun, 'weights'>[] };
  gradients: { weightsFrom: string; strategies: GradientStats[]; sweep: SweepRow[] };
  delay: { runs: DelayRun[]; chance: number };
  /** Forward mode (RTRL, float64) against reverse mode and the GPU, on a small model. */
  forwardMode: ForwardModeResult;
  /** Wall time of each section, seconds. */
  seconds: { lm: number; gradients: number; delay: number; forwardMode: number; total: number };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** Run the whole study on `device` with the text of `corpus`; `log` gets a line per run. */
export async function runStudy(device: GPUDevice, corpus: { name: string; text: string }, o: StudyOptions, log: (line: string) => void = () => {}): Promise<StudyResult> {
  const t0 = performance.now();
  const since = (t: number) => (performance.now() - t) / 1000;
  const c = makeCorpus(corpus.text, 'd2l', corpus.name);
  const ids = splitCorpus(c.ids);
  const V = c.vocab.size;
  const strategies = studyStrategies(o);

  // 1. perplexity against steps and wall time
  // a short untimed run of each strategy first, so that no timed run pays for compiling pipelines
  for (const s of strategies) await trainLm(device, ids, V, s, { ...o, steps: Math.min(2, o.steps), evalWindows: 1 }, 0);
  const tLm = performance.now();
  const runs: LmRun[] = [];
  for (const s of strategies) {
    for (let seed = 0; seed < o.seeds; seed++) {
      const r = await trainLm(device, ids, V, s, o, seed);
      log(`lm  ${s.label.padEnd(24)} seed ${seed}: held-out perplexity ${r.heldOut.toFixed(3)}, ${((1000 * r.seconds) / o.steps).toFixed(1)} ms/step, ${r.seconds.toFixed(1)} s`);
      runs.push(r);
    }
  }
  const summary: LmSummary[] = strategies.map((s) => {
    const mine = runs.filter((r) => r.label === s.label);
    const curve = meanCurve(mine);
    return {
      label: s.label,
      heldOut: mean(mine.map((r) => r.heldOut)),
      heldOutSd: sd(mine.map((r) => r.heldOut)),
      finalTrain: curve[curve.length - 1].perplexity,
      msPerStep: (1000 * mean(mine.map((r) => r.seconds))) / o.steps,
      streams: mine[0].streams,
      skipped: mine.reduce((a, r) => a + r.skipped, 0),
      curve,
    };
  });
  const secondsLm = since(tLm);

  // 2. the gradient at fixed weights (full BPTT's after training, seed 0) on one held-out window
  const tGrad = performance.now();
  const config = charLmConfig(V, o.hidden);
  const weights = runs[0].weights;
  const batch = heldOutWindows(ids.heldOut, o, 1)[0] ?? epochBatches(ids.train, o.batch, o.window, 'sequential', createRng(7))[0];
  const [gFull] = await sampleGradients(device, config, weights, batch, fullStrategy(), 1, 0);
  const gradStrategies = [...strategies, randomizedStrategy(o.pi, true)];
  const gradStats: GradientStats[] = [];
  for (const s of gradStrategies) {
    const g = gradientStats(s.label, await sampleGradients(device, config, weights, batch, s, o.draws, 1), gFull);
    log(`grad ${s.label.padEnd(24)}: bias/‖g‖ ${g.relBias.toExponential(2)}, variance/‖g‖² ${g.relVariance.toExponential(2)}`);
    gradStats.push(g);
  }
  const sweep: SweepRow[] = [];
  for (const pi of o.piSweep) {
    for (const perSequence of [false, true]) {
      const s = randomizedStrategy(pi, perSequence);
      const g = gradientStats(s.label, await sampleGradients(device, config, weights, batch, s, o.draws, 2), gFull);
      sweep.push({ ...g, pi, form: perSequence ? 'per sequence' : 'shared' });
      log(`sweep π=${round(pi)} ${perSequence ? 'per sequence' : 'shared      '}: variance/‖g‖² ${g.relVariance.toExponential(2)}`);
    }
  }
  const secondsGrad = since(tGrad);

  // 3. the delay task's accuracy against the lag
  const tDelay = performance.now();
  const delayRuns: DelayRun[] = [];
  for (const lag of o.lags) {
    for (const s of studyStrategies({ ...o, window: o.delayWindow })) {
      for (let seed = 0; seed < o.seeds; seed++) {
        const r = await delayRun(device, s, lag, o, seed);
        log(`delay k=${String(lag).padEnd(3)} ${s.label.padEnd(24)} seed ${seed}: accuracy ${r.accuracy.toFixed(3)}, loss ${r.finalLoss.toFixed(3)}`);
        delayRuns.push(r);
      }
    }
  }
  const secondsDelay = since(tDelay);

  // 4. the chapter's forward-mode derivation against reverse mode (float64, CPU)
  const tFwd = performance.now();
  const fwd = await forwardMode(device, o, c.ids, V);
  for (const r of fwd.rows) log(`forward vs reverse, ${r.truncation}: max |difference| ${r.maxAbs.toExponential(2)}; GPU vs forward ${r.gpuRel.toExponential(2)} relative`);
  const secondsFwd = since(tFwd);

  return {
    options: o,
    corpus: { name: corpus.name, characters: corpus.text.length, vocab: V, trainTokens: ids.train.length, heldOutTokens: ids.heldOut.length },
    device: describeAdapter(device),
    lm: { summary, runs: runs.map(({ weights: _w, ...r }) => r) },
    gradients: { weightsFrom: `${strategies[0].label} after ${o.steps} steps (seed 0)`, strategies: gradStats, sweep },
    delay: { runs: delayRuns, chance: 1 / DELAY_ALPHABET },
    forwardMode: fwd,
    seconds: { lm: secondsLm, gradients: secondsGrad, delay: secondsDelay, forwardMode: secondsFwd, total: since(t0) },
  };
}
