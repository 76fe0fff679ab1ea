// Truncation strategies as small pure objects. Each one only produces the
// per-step multipliers ξ_t (ξ_t scales the gradient that flows from step t
// into the state before it); one reverse-time kernel serves them all.
import { BpttError, show } from '../errors';
import type { Rng } from '../util/rng';

/** A truncation strategy: a small pure object that yields the per-step multipliers ξ_t. */
export interface Truncation {
  readonly kind: 'full' | 'regular' | 'randomized' | 'explicit';
  /** ξ_0 … ξ_{T−1} for a window of T steps (rng used by 'randomized' only). */
  multipliers(T: number, rng?: Rng): Float32Array;
  /** Check that the strategy fits windows of T steps; throws BpttError. */
  check(T: number): void;
  readonly describe: string;
}

/** Full BPTT: the gradient flows through the whole window (ξ_t = 1). */
export function full(): Truncation {
  return Object.freeze({
    kind: 'full' as const,
    multipliers: (T: number) => new Float32Array(T).fill(1),
    check: () => {},
    describe: 'full',
  });
}

/**
 * Regular truncation every τ steps: ξ_t = 0 at t = τ, 2τ, …; the state is
 * carried forward, the gradient never crosses a boundary (d2l's sequential
 * partitioning with detach, stateful TBPTT).
 */
export function regular(tau: number): Truncation {
  if (!Number.isInteger(tau) || tau < 1) throw new BpttError('truncation.tau', show(tau), 'must be an integer ≥ 1');
  return Object.freeze({
    kind: 'regular' as const,
    tau,
    multipliers(T: number) {
      const xi = new Float32Array(T).fill(1);
      for (let t = tau; t < T; t += tau) xi[t] = 0;
      return xi;
    },
    check(T: number) {
      if (tau > T) throw new BpttError('truncation.tau', String(tau), `must be ≤ the window length steps = ${T} (the gradient never crosses a window anyway)`);
    },
    describe: `regular(τ=${tau})`,
  });
}

/**
 * Randomized truncation (Tallec & Ollivier 2017): ξ_t = 1/π_t with
 * probability π_t, else 0, so E[ξ_t] = 1 and the gradient is unbiased.
 * π is one probability or a per-step schedule (length ≥ T).
 */
export function randomized(pi: number | readonly number[]): Truncation {
  const list = typeof pi === 'number' ? [pi] : pi;
  if (!Array.isArray(list) || list.length === 0) throw new BpttError('truncation.pi', show(pi), 'must be a number or a non-empty array');
  list.forEach((p, i) => {
    if (typeof p !== 'number' || !(p > 0 && p <= 1)) {
      throw new BpttError(typeof pi === 'number' ? 'truncation.pi' : `truncation.pi[${i}]`, show(p), 'must be in (0, 1]');
    }
  });
  const at = (t: number) => (typeof pi === 'number' ? pi : list[t]);
  return Object.freeze({
    kind: 'randomized' as const,
    pi,
    multipliers(T: number, rng?: Rng) {
      if (!rng) throw new BpttError('rng', 'undefined', 'randomized truncation needs a seeded rng');
      const xi = new Float32Array(T);
      for (let t = 0; t < T; t++) xi[t] = rng.next() < at(t) ? 1 / at(t) : 0;
      return xi;
    },
    check(T: number) {
      if (typeof pi !== 'number' && list.length < T) throw new BpttError('truncation.pi', `array(${list.length})`, `a schedule needs one π per step (≥ ${T})`);
    },
    describe: typeof pi === 'number' ? `randomized(π=${pi})` : 'randomized(schedule)',
  });
}

/** Caller-given multipliers (length ≥ T; used by the gradient check). */
export function explicit(xi: ArrayLike<number>): Truncation {
  const copy = Float32Array.from(xi as ArrayLike<number>);
  copy.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new BpttError(`xi[${i}]`, String(v), 'must be finite');
  });
  return Object.freeze({
    kind: 'explicit' as const,
    multipliers: (T: number) => copy.slice(0, T),
    check(T: number) {
      if (copy.length < T) throw new BpttError('xi', `length ${copy.length}`, `must have one multiplier per step (${T})`);
    },
    describe: 'explicit',
  });
}

/** A strategy as plain data (JSON, URL parameters, CLI flags); see truncationFrom. */
export type TruncationSpec =
  | { kind: 'full' }
  | { kind: 'regular'; tau: number }
  | { kind: 'randomized'; pi: number | number[] }
  | { kind: 'explicit'; xi: number[] };

/** A strategy from its plain description (JSON, URL parameters, CLI flags). */
export function truncationFrom(spec: TruncationSpec): Truncation {
  switch (spec?.kind) {
    case 'full':
      return full();
    case 'regular':
      return regular(spec.tau);
    case 'randomized':
      return randomized(spec.pi);
    case 'explicit':
      return explicit(spec.xi);
    default:
      throw new BpttError('truncation.kind', show((spec as { kind?: unknown })?.kind), 'must be one of "full", "regular", "randomized", "explicit"');
  }
}

/** The segments [start, end) over which the gradient flows unbroken (ξ_t = 0 starts a new one). */
export function segments(xi: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let t = 1; t < xi.length; t++) {
    if (xi[t] === 0) {
      out.push([start, t]);
      start = t;
    }
  }
  if (xi.length > 0) out.push([start, xi.length]);
  return out;
}
