// The demo's settings: read from the form or the URL, checked with messages
// a visitor can act on.
import type { Activation } from '../src/index';

export type StrategyKind = 'full' | 'regular' | 'randomized';
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
  clip: number;
  optimizer: 'sgd' | 'adagrad' | 'adam';
  activation: Activation;
  bias: boolean;
  strategy: StrategyKind;
  tau: number;
  pi: number;
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
  data: 'builtin', delay: 6, hidden: 64, steps: 32, batch: 16, lr: 0.01, clip: 1, optimizer: 'adam',
  activation: 'tanh', bias: true, strategy: 'full', tau: 6, pi: 0.8, seed: 0,
};

const NUMERIC: (keyof Settings)[] = ['delay', 'hidden', 'steps', 'batch', 'lr', 'clip', 'tau', 'pi', 'seed'];

/** Parse string values (form fields or URL parameters) over the defaults. */
export function parseSettings(get: (k: string) => string | null, base: Settings = DEFAULTS): Settings {
  const s: Settings = { ...base };
  for (const k of Object.keys(base) as (keyof Settings)[]) {
    const v = get(k);
    if (v === null || v === '') continue;
    if (NUMERIC.includes(k)) (s as unknown as Record<string, unknown>)[k] = Number(v);
    else if (k === 'bias') s.bias = v === 'true' || v === 'on' || v === '1';
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
  if (!['sgd', 'adagrad', 'adam'].includes(s.optimizer)) e.push(`Unknown optimizer "${s.optimizer}".`);
  if (!['tanh', 'identity', 'relu'].includes(s.activation)) e.push(`Unknown activation "${s.activation}".`);
  if (!['full', 'regular', 'randomized'].includes(s.strategy)) e.push(`Unknown truncation "${s.strategy}".`);
  if (!['builtin', 'delay', 'custom'].includes(s.data)) e.push(`Unknown data source "${s.data}".`);
  if (s.strategy === 'regular') {
    if (!Number.isInteger(s.tau) || s.tau < 1) e.push(`τ must be a whole number ≥ 1 (got ${s.tau}).`);
    else if (s.tau > s.steps) e.push(`τ = ${s.tau} is larger than the window (${s.steps} steps): the gradient never crosses a window anyway. Use τ ≤ ${s.steps}.`);
  }
  if (s.strategy === 'randomized' && !(s.pi > 0 && s.pi <= 1)) e.push(`π must be in (0, 1] (got ${s.pi}).`);
  return e;
}

/** The settings as URL parameters (for sharing a run as a link). */
export function toQuery(s: Settings): string {
  return new URLSearchParams(Object.entries(s).map(([k, v]) => [k, String(v)])).toString();
}
