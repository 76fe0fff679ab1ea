// The study's settings: one set of matched settings for every strategy (the
// same model, window, batch, optimizer, steps and seeds), the defaults that
// finish in a few minutes on SwiftShader, a tiny preset for the test, and
// the command-line flags that scale it up.
import { BpttError } from '../src/errors';
import { checkFlags, num, str, type Args } from '../src/cli/args';

/** Everything the study runs with. */
export interface StudyOptions {
  /** Language model: hidden size H, batch B, window T, training steps per strategy. */
  hidden: number;
  batch: number;
  window: number;
  steps: number;
  /** Adam's learning rate and the clip threshold, the same for every strategy. */
  lr: number;
  clip: number;
  /** Seeds: each training run is repeated with seeds 0 … seeds − 1 (curves are their mean). */
  seeds: number;
  /** Regular truncation every τ steps; randomized with π (default 1 − 1/τ: mean segment length τ). */
  tau: number;
  pi: number;
  /** TBPTT(k1, k2) besides TBPTT(1, τ). */
  k1: number;
  k2: number;
  /** Draws of the randomized strategies' ξ for the gradient's bias and variance. */
  draws: number;
  /** π values of the randomized shared vs per-sequence ξ sweep. */
  piSweep: number[];
  /** Delay task: the lags k, hidden size, batch, window and training steps per run. */
  lags: number[];
  delayHidden: number;
  delayBatch: number;
  delayWindow: number;
  delaySteps: number;
  /** Windows of held-out data for the final perplexity and the delay task's accuracy. */
  evalWindows: number;
  /** Forward mode vs reverse mode: hidden size and window of the small model. */
  rtrlHidden: number;
  rtrlWindow: number;
}

/** The defaults: a few minutes on SwiftShader with 2 cores. */
export const DEFAULTS: StudyOptions = {
  hidden: 64,
  batch: 32,
  window: 32,
  steps: 200,
  lr: 0.01,
  clip: 1,
  seeds: 1,
  tau: 8,
  pi: 1 - 1 / 8,
  k1: 4,
  k2: 8,
  draws: 64,
  piSweep: [0.5, 0.75, 0.875, 0.95],
  lags: [4, 7, 8, 10],
  delayHidden: 32,
  delayBatch: 32,
  delayWindow: 24,
  delaySteps: 200,
  evalWindows: 16,
  rtrlHidden: 6,
  rtrlWindow: 10,
};

/** Seconds, not minutes: for the test. */
export const TINY: StudyOptions = {
  ...DEFAULTS,
  hidden: 8,
  batch: 4,
  window: 8,
  steps: 6,
  tau: 4,
  pi: 0.75,
  k1: 2,
  k2: 4,
  draws: 4,
  piSweep: [0.5, 1],
  lags: [1, 5],
  delayHidden: 8,
  delayBatch: 4,
  delayWindow: 8,
  delaySteps: 4,
  evalWindows: 2,
  rtrlHidden: 3,
  rtrlWindow: 5,
};

/** Check the options against each other; throws BpttError naming the flag. */
export function checkOptions(o: StudyOptions): StudyOptions {
  if (o.tau > o.window) throw new BpttError('--tau', String(o.tau), `must be ≤ --window = ${o.window}`);
  if (o.k1 > o.k2) throw new BpttError('--k2', String(o.k2), `must be ≥ --k1 = ${o.k1}`);
  if (!(o.pi > 0 && o.pi <= 1)) throw new BpttError('--pi', String(o.pi), 'must be in (0, 1]');
  o.piSweep.forEach((p) => {
    if (!(p > 0 && p <= 1)) throw new BpttError('--pi-sweep', String(p), 'each π must be in (0, 1]');
  });
  o.lags.forEach((k) => {
    if (!Number.isInteger(k) || k < 1) throw new BpttError('--lags', String(k), 'each lag must be an integer ≥ 1');
  });
  if (o.draws < 2) throw new BpttError('--draws', String(o.draws), 'must be ≥ 2 (the variance needs two draws)');
  return o;
}

/** The command-line flags and what each sets. */
export const HELP = `Usage: npm run study -- [options]
  --corpus PATH       text to train on (default: ../shared/data/timemachine.txt when present, else the built-in corpus)
  --out PATH          the report (default: study/results/STUDY.md; figures go to figures/ beside it)
  --tiny              a seconds-long run (for checking the pipeline)
  --steps N           training steps per strategy and seed (${DEFAULTS.steps})
  --hidden H          hidden size of the language model (${DEFAULTS.hidden})
  --batch B --window T  minibatch shape (${DEFAULTS.batch} × ${DEFAULTS.window})
  --lr LR --clip C    Adam's learning rate, the clip threshold (${DEFAULTS.lr}, ${DEFAULTS.clip})
  --seeds N           repeat each training run with N seeds (${DEFAULTS.seeds})
  --tau TAU --pi PI   regular(τ), randomized(π) (${DEFAULTS.tau}, 1 − 1/τ)
  --k1 K1 --k2 K2     TBPTT(k1, k2) (${DEFAULTS.k1}, ${DEFAULTS.k2})
  --draws N           ξ draws for the gradient's bias and variance (${DEFAULTS.draws})
  --pi-sweep P,P,…    π values of the shared vs per-sequence ξ sweep (${DEFAULTS.piSweep.join(',')})
  --lags K,K,…        delay-task lags (${DEFAULTS.lags.join(',')})
  --delay-steps N --delay-hidden H   delay-task training (${DEFAULTS.delaySteps}, ${DEFAULTS.delayHidden})
  --eval-windows N    held-out windows for perplexity and accuracy (${DEFAULTS.evalWindows})`;

const FLAGS = ['help', 'tiny', 'corpus', 'out', 'steps', 'hidden', 'batch', 'window', 'lr', 'clip', 'seeds', 'tau', 'pi', 'k1', 'k2', 'draws', 'pi-sweep', 'lags', 'delay-steps', 'delay-hidden', 'eval-windows'];

function list(args: Args, key: string, dflt: number[], int: boolean): number[] {
  const v = args.flags.get(key);
  if (v === undefined) return dflt;
  const out = String(v).split(',').map(Number);
  if (v === true || out.some((x) => !Number.isFinite(x) || (int && !Number.isInteger(x)))) {
    throw new BpttError(`--${key}`, String(v), `must be a comma-separated list of ${int ? 'integers' : 'numbers'}`);
  }
  return out;
}

/** The options a command line asks for (flags over the defaults or --tiny). */
export function optionsFromArgs(args: Args): { options: StudyOptions; corpus?: string; out?: string } {
  checkFlags(args, FLAGS);
  const base = args.flags.has('tiny') ? TINY : DEFAULTS;
  const int = { int: true, min: 1 };
  const tau = num(args, 'tau', base.tau, int);
  const options: StudyOptions = {
    ...base,
    steps: num(args, 'steps', base.steps, int),
    hidden: num(args, 'hidden', base.hidden, int),
    batch: num(args, 'batch', base.batch, int),
    window: num(args, 'window', base.window, int),
    lr: num(args, 'lr', base.lr, { min: 0 }),
    clip: num(args, 'clip', base.clip, { min: 0 }),
    seeds: num(args, 'seeds', base.seeds, int),
    tau,
    pi: num(args, 'pi', args.flags.has('tau') ? 1 - 1 / tau : base.pi, { min: 0, max: 1 }),
    k1: num(args, 'k1', base.k1, int),
    k2: num(args, 'k2', base.k2, int),
    draws: num(args, 'draws', base.draws, { int: true, min: 2 }),
    piSweep: list(args, 'pi-sweep', base.piSweep, false),
    lags: list(args, 'lags', base.lags, true),
    delaySteps: num(args, 'delay-steps', base.delaySteps, int),
    delayHidden: num(args, 'delay-hidden', base.delayHidden, int),
    evalWindows: num(args, 'eval-windows', base.evalWindows, int),
  };
  const corpus = args.flags.has('corpus') ? str(args, 'corpus', '') : undefined;
  const out = args.flags.has('out') ? str(args, 'out', '') : undefined;
  return { options: checkOptions(options), corpus, out };
}
