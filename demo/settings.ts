// The demo's settings: read from the form or the URL, checked with messages
// a visitor can act on.
import { BpttError, CELLS, truncationFromText, lrScheduleFromText, type Activation, type CellKind, type LrScheduleSpec, type OptimizerSpec } from '../src/index';

export type StrategyKind = 'full' | 'regular' | 'randomized' | 'tbptt';
/** Randomized truncation's π: the same at every step, or Tallec & Ollivier's geometric lengths with a minimum. */
export type PiScheduleKind = 'constant' | 'geometric';
/** The most layers the page stacks. */
export const MAX_DEMO_LAYERS = 4;
export type DataKind = 'builtin' | 'delay' | 'custom';

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
};

const NUMERIC: (keyof Settings)[] = ['delay', 'hidden', 'steps', 'batch', 'lr', 'warmup', 'total', 'clip', 'beta1', 'beta2', 'eps', 'layers', 'tau', 'pi', 'p', 'min', 'k1', 'k2', 'seed'];
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
  const seq = s.perSequence ? ', per sequence' : '';
  if (kind === 'regular') return `regular τ=${s.tau}`;
  if (kind === 'randomized') return s.piSchedule === 'geometric' ? `geometric p=${s.p} min=${s.min}${seq}` : `randomized π=${s.pi}${seq}`;
  if (kind === 'tbptt') return `TBPTT(${s.k1}, ${s.k2})`;
  return 'full';
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
    if (!Number.isInteger(v) || v < lo || v > hi) e.push(`${what} must be a whole number from ${lo} to ${hi} (got ${v}).`);
  };
  int('hidden', 1, 1024, 'Hidden size');
  int('steps', 1, 512, 'Window length');
  int('batch', 1, 256, 'Batch');
  int('seed', 0, 2 ** 31, 'Seed');
  if (s.data === 'delay') int('delay', 1, 256, 'Delay k');
  if (!(s.lr >= 0 && Number.isFinite(s.lr))) e.push(`Learning rate must be a number ≥ 0 (got ${s.lr}).`);
  if (!(s.clip > 0 && Number.isFinite(s.clip))) e.push(`Clipping θ must be a number > 0 (got ${s.clip}).`);
  if (!(s.beta1 >= 0 && s.beta1 < 1)) e.push(`Adam β1 must be in [0, 1) (got ${s.beta1}).`);
  if (!(s.beta2 >= 0 && s.beta2 < 1)) e.push(`Adam β2 must be in [0, 1) (got ${s.beta2}).`);
  if (!(s.eps > 0 && Number.isFinite(s.eps))) e.push(`ε must be a number > 0 (got ${s.eps}).`);
  int('warmup', 0, 2 ** 31, 'Warm-up');
  int('total', 1, 2 ** 31, 'Schedule length');
  try {
    const sched = scheduleOf(s);
    if (sched.kind === 'cosine' && (sched.min ?? 0) > s.lr) e.push(`The cosine schedule's minimum rate ${sched.min} is above the learning rate ${s.lr}.`);
  } catch (err) {
    if (!(err instanceof BpttError)) throw err;
    e.push(`${err.message.replace('LR schedule.total', 'Schedule length').replace('LR schedule.warmup', 'Warm-up')}.`);
  }
  if (!['sgd', 'adagrad', 'adam'].includes(s.optimizer)) e.push(`Unknown optimizer "${s.optimizer}".`);
  if (!['tanh', 'identity', 'relu'].includes(s.activation)) e.push(`Unknown activation "${s.activation}".`);
  if (!CELLS.includes(s.cell)) e.push(`Unknown cell "${s.cell}" (rnn, lstm or gru).`);
  int('layers', 1, MAX_DEMO_LAYERS, 'Layers');
  if (!['full', 'regular', 'randomized', 'tbptt'].includes(s.strategy)) e.push(`Unknown truncation "${s.strategy}".`);
  if (!['constant', 'geometric'].includes(s.piSchedule)) e.push(`Unknown π schedule "${s.piSchedule}" (constant or geometric).`);
  if (!['builtin', 'delay', 'custom'].includes(s.data)) e.push(`Unknown data source "${s.data}".`);
  if (s.strategy === 'regular') {
    if (!Number.isInteger(s.tau) || s.tau < 1) e.push(`τ must be a whole number ≥ 1 (got ${s.tau}).`);
    else if (s.tau > s.steps) e.push(`τ = ${s.tau} is larger than the window (${s.steps} steps): the gradient never crosses a window anyway. Use τ ≤ ${s.steps}.`);
  }
  if (s.strategy === 'randomized' && s.piSchedule === 'constant' && !(s.pi > 0 && s.pi <= 1)) e.push(`π must be in (0, 1] (got ${s.pi}).`);
  else if (e.length === 0 && ['full', 'regular', 'randomized', 'tbptt'].includes(s.strategy)) {
    // everything else about the truncation: the library's parser and check, its message as is
    try {
      truncationFromText(truncationText(s.strategy, s)).check(s.steps, s.batch);
    } catch (err) {
      if (!(err instanceof BpttError)) throw err;
      e.push(`Truncation: ${err.message}.`);
    }
  }
  return e;
}

/** The settings as URL parameters (for sharing a run as a link). */
export function toQuery(s: Settings): string {
  return new URLSearchParams(Object.entries(s).map(([k, v]) => [k, String(v)])).toString();
}
