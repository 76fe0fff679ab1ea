// The demo's settings: read from the form or the URL, checked with messages
// a visitor can act on.
import { BpttError, CELLS, truncationFromText, lrScheduleFromText, type Activation, type CellKind, type LrScheduleSpec, type OptimizerSpec } from '../src/index';
import { t } from './i18n';

export type StrategyKind = 'full' | 'regular' | 'randomized' | 'tbptt';
/** Randomized truncation's π: the same at every step, or Tallec & Ollivier's geometric lengths with a minimum. */
export type PiScheduleKind = 'constant' | 'geometric';
/** The most layers the page stacks. */
export const MAX_DEMO_LAYERS = 4;
export type DataKind = 'builtin' | 'delay' | 'custom';
/** Which losses send a gradient: every step's (the chapter's L), or only the last step's (to see ‖∂L/∂h_t‖ decay with distance). */
export type LossAt = 'all' | 'last';

export interface Settings {
  data: DataKind;
  /** The delay task's k: output the token seen k steps ago. */
  delay: number;
  hidden: number;
  /** Window length T. */
  steps: number;
  batch: number;
  lr: number;
  /** The learning-rate schedule in the library's text form: constant, step:EVERY:GAMMA or cosine[:MIN]. */
  schedule: string;
  /** Linear warm-up steps (from 0 to lr) before the schedule. */
  warmup: number;
  /** The cosine schedule's length in updates, warm-up included. */
  total: number;
  clip: number;
  optimizer: 'sgd' | 'adagrad' | 'adam';
  /** Adam's β1, β2 and Adagrad/Adam's ε. */
  beta1: number;
  beta2: number;
  eps: number;
  /** The recurrent cell: the chapter's rnn, or PyTorch's lstm or gru. */
  cell: CellKind;
  /** Stacked layers, 1 … MAX_DEMO_LAYERS. */
  layers: number;
  /** φ of the rnn cell (LSTM and GRU have their own gate functions). */
  activation: Activation;
  bias: boolean;
  strategy: StrategyKind;
  tau: number;
  /** Randomized: constant π, or geometric lengths (cut probability p after at least `min` steps). */
  piSchedule: PiScheduleKind;
  pi: number;
  p: number;
  min: number;
  /** Randomized: one ξ draw per step and sequence instead of one per step. */
  perSequence: boolean;
  /** TBPTT(k1, k2): every k1 steps, backpropagate k2 steps. */
  k1: number;
  k2: number;
  seed: number;
  /** W_hh (every layer's recurrent weights) is scaled by this at the start: > 1 towards exploding, < 1 towards vanishing. */
  gain: number;
  /** Which losses send a gradient. */
  lossAt: LossAt;
  /** Added to the LSTM forget gate's bias at the start (0: PyTorch's initialisation). */
  forgetBias: number;
}

/**
 * The defaults. On the delay task they show the lesson the page states (tested
 * in e2e/demo.test.ts): lag k = 6 needs k + 1 = 7 steps per block, so regular
 * truncation with τ = 6 cannot learn it; full BPTT over 32 steps can; and
 * randomized truncation with π = 0.8 keeps a 6-link path with probability
 * 0.8^6 ≈ 0.26, often enough to learn it.
 */
export const DEFAULTS: Settings = {
  data: 'builtin', delay: 6, hidden: 64, steps: 32, batch: 16, lr: 0.01, schedule: 'constant', warmup: 0, total: 2000, clip: 1,
  optimizer: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, cell: 'rnn', layers: 1, activation: 'tanh', bias: true, strategy: 'full', tau: 6,
  piSchedule: 'constant', pi: 0.8, p: 0.2, min: 4, perSequence: false, k1: 1, k2: 7, seed: 0,
  gain: 1, lossAt: 'all', forgetBias: 0,
};

const NUMERIC: (keyof Settings)[] = ['delay', 'hidden', 'steps', 'batch', 'lr', 'warmup', 'total', 'clip', 'beta1', 'beta2', 'eps', 'layers', 'tau', 'pi', 'p', 'min', 'k1', 'k2', 'seed', 'gain', 'forgetBias'];
/** Check boxes: 'true', 'on' or '1' is true. */
export const BOOLEAN: (keyof Settings)[] = ['bias', 'perSequence'];

/**
 * The truncation of `kind` under the settings, in the library's text form
 * (truncationFromText parses it): full, regular:TAU, randomized:PI or
 * geometric:P:MIN (either with :per-sequence), tbptt:K1:K2.
 */
export function truncationText(kind: StrategyKind, s: Settings): string {
  const seq = s.perSequence ? ':per-sequence' : '';
  if (kind === 'regular') return `regular:${s.tau}`;
  if (kind === 'randomized') return s.piSchedule === 'geometric' ? `geometric:${s.p}:${s.min}${seq}` : `randomized:${s.pi}${seq}`;
  if (kind === 'tbptt') return `tbptt:${s.k1}:${s.k2}`;
  return 'full';
}

/** A run's name for the strategy of `kind` (legends, panels, the segment figure). */
export function strategyLabel(kind: StrategyKind, s: Settings): string {
  const seq = s.perSequence ? t('labPerSeq') : '';
  if (kind === 'regular') return t('labRegular', { tau: s.tau });
  if (kind === 'randomized') return s.piSchedule === 'geometric' ? t('labGeometric', { p: s.p, min: s.min, seq }) : t('labRandom', { pi: s.pi, seq });
  if (kind === 'tbptt') return `TBPTT(${s.k1}, ${s.k2})`;
  return t('labFull');
}

/** The learning-rate schedule of the settings (the library's parser; throws a BpttError naming the field). */
export function scheduleOf(s: Settings): LrScheduleSpec {
  return lrScheduleFromText(s.schedule.trim(), { warmup: s.warmup, total: s.total }, 'LR schedule');
}

/** The optimizer of the settings, with Adam's β1, β2 and ε. */
export function optimizerOf(s: Settings): OptimizerSpec {
  return { kind: s.optimizer, lr: s.lr, beta1: s.beta1, beta2: s.beta2, eps: s.eps };
}

/** Parse string values (form fields or URL parameters) over the defaults. */
export function parseSettings(get: (k: string) => string | null, base: Settings = DEFAULTS): Settings {
  const s: Settings = { ...base };
  for (const k of Object.keys(base) as (keyof Settings)[]) {
    const v = get(k);
    if (v === null || v === '') continue;
    if (NUMERIC.includes(k)) (s as unknown as Record<string, unknown>)[k] = Number(v);
    else if (BOOLEAN.includes(k)) (s as unknown as Record<string, unknown>)[k] = v === 'true' || v === 'on' || v === '1';
    else (s as unknown as Record<string, unknown>)[k] = v;
  }
  return s;
}

/** Problems with the settings, as sentences (empty when all is well). */
export function checkSettings(s: Settings): string[] {
  const e: string[] = [];
  const int = (k: keyof Settings, lo: number, hi: number, what: string) => {
    const v = s[k] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) e.push(t('errInt', { what, lo, hi, v }));
  };
  const oneOf = (v: string, ok: readonly string[], what: string) => {
    if (!ok.includes(v)) e.push(t('errUnknown', { what, v, ok: ok.join(', ') }));
  };
  int('hidden', 1, 1024, t('fHidden'));
  int('steps', 1, 512, t('fSteps'));
  int('batch', 1, 256, t('fBatch'));
  int('seed', 0, 2 ** 31, t('fSeed'));
  if (s.data === 'delay') int('delay', 1, 256, t('fDelay'));
  if (!(s.lr >= 0 && Number.isFinite(s.lr))) e.push(t('errLr', { v: s.lr }));
  if (!(s.clip > 0 && Number.isFinite(s.clip))) e.push(t('errClip', { v: s.clip }));
  if (!(s.gain >= 0 && Number.isFinite(s.gain))) e.push(t('errGain', { v: s.gain }));
  if (!Number.isFinite(s.forgetBias)) e.push(t('errUnknown', { what: 'forgetBias', v: s.forgetBias, ok: 'a number' }));
  if (!(s.beta1 >= 0 && s.beta1 < 1)) e.push(t('errBeta', { b: 'β1', v: s.beta1 }));
  if (!(s.beta2 >= 0 && s.beta2 < 1)) e.push(t('errBeta', { b: 'β2', v: s.beta2 }));
  if (!(s.eps > 0 && Number.isFinite(s.eps))) e.push(t('errEps', { v: s.eps }));
  int('warmup', 0, 2 ** 31, t('fWarmup'));
  int('total', 1, 2 ** 31, t('fTotal'));
  try {
    const sched = scheduleOf(s);
    if (sched.kind === 'cosine' && (sched.min ?? 0) > s.lr) e.push(t('errCosine', { min: sched.min ?? 0, lr: s.lr }));
  } catch (err) {
    if (!(err instanceof BpttError)) throw err;
    e.push(`${err.message.replace('LR schedule.total', t('fTotal')).replace('LR schedule.warmup', t('fWarmup'))}.`);
  }
  oneOf(s.optimizer, ['sgd', 'adagrad', 'adam'], t('fOptimizer'));
  oneOf(s.activation, ['tanh', 'identity', 'relu'], t('fActivation'));
  oneOf(s.cell, CELLS, t('fCell'));
  int('layers', 1, MAX_DEMO_LAYERS, t('fLayers'));
  oneOf(s.strategy, ['full', 'regular', 'randomized', 'tbptt'], t('fTruncation'));
  oneOf(s.piSchedule, ['constant', 'geometric'], t('fPiSchedule'));
  oneOf(s.data, ['builtin', 'delay', 'custom'], t('fData'));
  oneOf(s.lossAt, ['all', 'last'], t('fLossAt'));
  if (s.strategy === 'regular') {
    if (!Number.isInteger(s.tau) || s.tau < 1) e.push(t('errTauInt', { v: s.tau }));
    else if (s.tau > s.steps) e.push(t('errTauLong', { tau: s.tau, T: s.steps }));
  }
  if (s.strategy === 'randomized' && s.piSchedule === 'constant' && !(s.pi > 0 && s.pi <= 1)) e.push(t('errPi', { v: s.pi }));
  else if (e.length === 0 && ['full', 'regular', 'randomized', 'tbptt'].includes(s.strategy)) {
    // everything else about the truncation: the library's parser and check, its message as is
    try {
      const tr = truncationFromText(truncationText(s.strategy, s));
      tr.check(s.steps, s.batch);
      if (s.lossAt === 'last' && tr.streams(s.steps) > 1) e.push(t('errGatedLast'));
    } catch (err) {
      if (!(err instanceof BpttError)) throw err;
      e.push(t('errTruncation', { msg: err.message }));
    }
  }
  return e;
}

/** The settings as URL parameters (for sharing a run as a link). */
export function toQuery(s: Settings): string {
  return new URLSearchParams(Object.entries(s).map(([k, v]) => [k, String(v)])).toString();
}
