// Truncation strategies as small pure objects. Each one produces, per window
// of T steps and B sequences, the multipliers the reverse-time kernels read:
// ξ_{t,b} scales the gradient that flows from step t into every layer's state
// before it (h, and c for LSTM), and a loss mask m_t selects which losses a
// gradient stream carries. One reverse-time kernel per cell serves them all.
//
// Most strategies are one stream with m = 1: full (ξ = 1), regular(τ)
// (ξ = 0 at t = τ, 2τ, …), randomized (ξ ∈ {0, 1/π}, shared by the batch or
// drawn per sequence) and explicit ξ. TBPTT(k1, k2) gives the losses of each
// block of k1 steps their own reach of k2 steps back, which one ξ per step
// cannot express; it runs S = ⌈k2 / k1⌉ streams (see tbptt()).
import { BpttError, requireInt, show } from '../errors';
import type { Rng } from '../util/rng';
import { xiLayout } from './layout';

/**
 * The multipliers of one window: per stream s, the loss mask (T) then ξ
 * (T·B, time-major: ξ_{t,b} at t·B + b), back to back in `data`.
 */
export interface XiPlan {
  /** Gradient streams S. */
  readonly streams: number;
  readonly T: number;
  readonly B: number;
  /** S·(T + T·B) floats: stream s at s·(T + T·B): m_0 … m_{T−1}, then ξ. */
  readonly data: Float32Array;
}


/** ξ_{t,b} of stream s. */
export function xiAt(p: XiPlan, s: number, t: number, b: number): number {
  return p.data[xiLayout(p.T, p.B).xi(s, t, b)];
}

/** m_t of stream s. */
export function maskAt(p: XiPlan, s: number, t: number): number {
  return p.data[xiLayout(p.T, p.B).mask(s, t)];
}

/** One stream, every loss, ξ_t shared by the batch. */
export function sharedPlan(xi: ArrayLike<number>, B: number): XiPlan {
  const T = xi.length;
  const at = xiLayout(T, B);
  const data = new Float32Array(at.stride);
  data.fill(1, at.mask(0, 0), at.mask(0, T));
  for (let t = 0; t < T; t++) data.fill(xi[t], at.xi(0, t), at.xi(0, t + 1));
  return { streams: 1, T, B, data };
}

/** A randomized truncation schedule: the probability π_t of keeping the link into step t. */
export type PiSchedule =
  /** π at every step. */
  | { kind: 'constant'; pi: number }
  /**
   * Tallec & Ollivier's geometric truncation lengths with a minimum: no cut
   * within `min` steps of the last one, then each link is cut with
   * probability p (π = 1 − p), so lengths are min + Geometric(p).
   */
  | { kind: 'geometric'; p: number; min: number };

/** A strategy as plain data (JSON, URL parameters, CLI flags); see truncationFrom. */
export type TruncationSpec =
  | { kind: 'full' }
  | { kind: 'regular'; tau: number }
  | { kind: 'randomized'; pi?: number | number[]; schedule?: PiSchedule; perSequence?: boolean }
  | { kind: 'explicit'; xi: number[] | number[][] }
  | { kind: 'tbptt'; k1: number; k2: number };

/** A truncation strategy: a small pure object that yields the multipliers of each window. */
export interface Truncation {
  readonly kind: TruncationSpec['kind'];
  /** The strategy as plain data (truncationFrom(spec) rebuilds it). */
  readonly spec: TruncationSpec;
  /** Gradient streams for windows of T steps (1 except TBPTT with k1 < k2). */
  streams(T: number): number;
  /** The multipliers of one window of T steps and B sequences (rng: randomized only). */
  plan(T: number, B: number, rng?: Rng): XiPlan;
  /**
   * ξ_0 … ξ_{T−1} of a one-stream strategy for one sequence (the chapter's
   * per-step multipliers); throws for TBPTT with k1 < k2.
   */
  multipliers(T: number, rng?: Rng): Float32Array;
  /** Check that the strategy fits windows of T steps and B sequences; throws BpttError. */
  check(T: number, B?: number): void;
  readonly describe: string;
}

function strategy(t: Omit<Truncation, 'streams' | 'multipliers'> & { streams?: Truncation['streams'] }): Truncation {
  const multipliers = (T: number, rng?: Rng) => {
    const p = t.plan(T, 1, rng);
    if (p.streams !== 1) throw new BpttError('truncation', t.describe, `runs ${p.streams} gradient streams: use plan(), not one ξ per step`);
    return p.data.slice(T, 2 * T);
  };
  return Object.freeze({ streams: () => 1, multipliers, ...t });
}

/** Full BPTT: the gradient flows through the whole window (ξ = 1). */
export function full(): Truncation {
  return strategy({
    kind: 'full',
    spec: { kind: 'full' },
    plan: (T, B) => sharedPlan(new Float32Array(T).fill(1), B),
    check: () => {},
    describe: 'full',
  });
}

/**
 * Regular truncation every τ steps: ξ_t = 0 at t = τ, 2τ, …; the state is
 * carried forward, the gradient never crosses a boundary (d2l's sequential
 * partitioning with detach, stateful TBPTT(τ, τ)). The loss at step t sees
 * only t mod τ steps of history; tbptt(1, τ) gives every loss τ.
 */
export function regular(tau: number): Truncation {
  if (!Number.isInteger(tau) || tau < 1) throw new BpttError('truncation.tau', show(tau), 'must be an integer ≥ 1');
  return strategy({
    kind: 'regular',
    spec: { kind: 'regular', tau },
    plan(T, B) {
      const xi = new Float32Array(T).fill(1);
      for (let t = tau; t < T; t += tau) xi[t] = 0;
      return sharedPlan(xi, B);
    },
    check(T) {
      if (tau > T) throw new BpttError('truncation.tau', String(tau), `must be ≤ the window length steps = ${T} (the gradient never crosses a window anyway)`);
    },
    describe: `regular(τ=${tau})`,
  });
}

function checkProbability(field: string, p: unknown, lo = 0): number {
  if (typeof p !== 'number' || !(p > lo && p <= 1)) throw new BpttError(field, show(p), `must be in (${lo}, 1]`);
  return p;
}

/** What randomized() takes besides π. */
export interface RandomizedOptions {
  /** Draw ξ_{t,b} independently per sequence b (default: one ξ_t for the whole batch). */
  perSequence?: boolean;
}

/**
 * Randomized truncation (Tallec & Ollivier 2017): the link into step t is
 * kept with probability π_t and then scaled by 1/π_t, else cut (ξ = 0), so
 * E[ξ_t | the past] = 1 and the gradient is unbiased. `pi` is one
 * probability, a per-step array (length ≥ T) or a PiSchedule; with
 * `perSequence`, every sequence draws its own ξ.
 */
export function randomized(pi: number | readonly number[] | PiSchedule, options: RandomizedOptions = {}): Truncation {
  const perSequence = options.perSequence ?? false;
  if (typeof perSequence !== 'boolean') throw new BpttError('truncation.perSequence', show(perSequence), 'must be true or false');
  let piAt: (t: number, sinceCut: number) => number;
  let check: (T: number) => void = () => {};
  let spec: TruncationSpec;
  let describe: string;
  if (typeof pi === 'number') {
    checkProbability('truncation.pi', pi);
    piAt = () => pi;
    spec = { kind: 'randomized', pi };
    describe = `randomized(π=${pi})`;
  } else if (Array.isArray(pi)) {
    if (pi.length === 0) throw new BpttError('truncation.pi', '[]', 'must be a number or a non-empty array');
    pi.forEach((p, i) => checkProbability(`truncation.pi[${i}]`, p));
    const list = pi.slice();
    piAt = (t) => list[t];
    check = (T) => {
      if (list.length < T) throw new BpttError('truncation.pi', `array(${list.length})`, `a schedule needs one π per step (≥ ${T})`);
    };
    spec = { kind: 'randomized', pi: list };
    describe = 'randomized(schedule)';
  } else if (typeof pi === 'object' && pi !== null && (pi as PiSchedule).kind === 'constant') {
    return randomized(checkProbability('truncation.schedule.pi', (pi as { pi: unknown }).pi), options);
  } else if (typeof pi === 'object' && pi !== null && (pi as PiSchedule).kind === 'geometric') {
    const g = pi as { p: unknown; min: unknown };
    const p = checkProbability('truncation.schedule.p', g.p);
    const min = requireInt('truncation.schedule.min', g.min, 0, 1 << 20);
    if (!(p < 1)) throw new BpttError('truncation.schedule.p', String(p), 'must be < 1 (p = 1 cuts every link past the minimum)');
    piAt = (_t, since) => (since < min ? 1 : 1 - p);
    spec = { kind: 'randomized', schedule: { kind: 'geometric', p, min } };
    describe = `randomized(geometric p=${p}, min ${min})`;
  } else {
    throw new BpttError('truncation.pi', show(pi), 'must be a number in (0, 1], an array of them, or a schedule {kind: "constant" | "geometric"}');
  }
  if (perSequence) {
    spec = { ...(spec as object), perSequence: true } as TruncationSpec;
    describe += ' per sequence';
  }
  // One draw of ξ for a sequence (or the batch): steps since the last cut drive the schedule.
  const draw = (T: number, rng: Rng, out: (t: number, v: number) => void) => {
    let since = 0;
    for (let t = 0; t < T; t++) {
      const p = piAt(t, since);
      const keep = p >= 1 || rng.next() < p;
      out(t, keep ? 1 / p : 0);
      since = keep ? since + 1 : 0;
    }
  };
  return strategy({
    kind: 'randomized',
    spec,
    plan(T, B, rng) {
      if (!rng) throw new BpttError('rng', 'undefined', 'randomized truncation needs a seeded rng');
      if (!perSequence) {
        const xi = new Float32Array(T);
        draw(T, rng, (t, v) => (xi[t] = v));
        return sharedPlan(xi, B);
      }
      const p = sharedPlan(new Float32Array(T), B);
      const at = xiLayout(T, B);
      for (let b = 0; b < B; b++) draw(T, rng, (t, v) => (p.data[at.xi(0, t, b)] = v));
      return p;
    },
    check,
    describe,
  });
}

/**
 * Caller-given multipliers: ξ_t (length ≥ T, shared by the batch) or ξ per
 * sequence as [B][T] (`xi[b][t]` scales the gradient from step t into
 * sequence b's state before it). Used by the gradient check.
 */
export function explicit(xi: ArrayLike<number> | readonly ArrayLike<number>[]): Truncation {
  const twoD = Array.isArray(xi) && xi.length > 0 && typeof xi[0] === 'object';
  const rows: Float32Array[] = twoD ? (xi as ArrayLike<number>[]).map((r) => Float32Array.from(r)) : [Float32Array.from(xi as ArrayLike<number>)];
  rows.forEach((r, b) =>
    r.forEach((v, t) => {
      if (!Number.isFinite(v)) throw new BpttError(twoD ? `xi[${b}][${t}]` : `xi[${t}]`, String(v), 'must be finite');
    }),
  );
  const len = Math.min(...rows.map((r) => r.length));
  return strategy({
    kind: 'explicit',
    spec: { kind: 'explicit', xi: twoD ? rows.map((r) => Array.from(r)) : Array.from(rows[0]) },
    plan(T, B) {
      if (!twoD) return sharedPlan(rows[0].subarray(0, T), B);
      const p = sharedPlan(new Float32Array(T), B);
      const at = xiLayout(T, B);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) p.data[at.xi(0, t, b)] = rows[b][t];
      return p;
    },
    check(T, B) {
      if (len < T) throw new BpttError('xi', `length ${len}`, `must have one multiplier per step (${T})`);
      if (twoD && B !== undefined && rows.length !== B) throw new BpttError('xi', `${rows.length} rows`, `a 2-D xi needs one row per sequence (B = ${B})`);
    },
    describe: twoD ? 'explicit (per sequence)' : 'explicit',
  });
}

/**
 * Williams & Peng's TBPTT(k1, k2), 1 ≤ k1 ≤ k2: the loss at step t (0-based
 * in the window) backpropagates into h_t … h_j, j = max(0, (⌊t/k1⌋ + 1)·k1 − k2):
 * every loss of a block of k1 steps reaches k2 steps back from the block's
 * end, and the link from h_{j−1} into h_j is cut. TBPTT(τ, τ) is regular(τ);
 * k2 ≥ T + k1 is full BPTT.
 *
 * One ξ per step cannot express this, so the window runs S = ⌈k2 / k1⌉
 * gradient streams (fewer when the window has fewer blocks): stream s carries
 * the losses of blocks m ≡ s (mod S) (its mask) and cuts each one's reach at
 * its j (ξ_j = 0 where j > 0). Block m + S starts its reach at or after block
 * m's end, so the streams' blocks never overlap, and the weight gradients
 * are their sum. Cost: S reverse recurrences instead of one (the forward pass
 * and the output layer are shared).
 */
export function tbptt(k1: number, k2: number): Truncation {
  requireInt('truncation.k1', k1, 1, 1 << 20);
  requireInt('truncation.k2', k2, 1, 1 << 20);
  if (k2 < k1) throw new BpttError('truncation.k2', String(k2), `must be ≥ k1 = ${k1}`);
  const blocks = (T: number) => Math.ceil(T / k1);
  const cut = (m: number) => (m + 1) * k1 - k2; // j of block m before the max(0, ·)
  const streams = (T: number) => {
    // no cut inside the window: one stream is full BPTT
    if (cut(blocks(T) - 1) <= 0) return 1;
    return Math.min(Math.ceil(k2 / k1), blocks(T));
  };
  return strategy({
    kind: 'tbptt',
    spec: { kind: 'tbptt', k1, k2 },
    streams,
    plan(T, B) {
      const S = streams(T), at = xiLayout(T, B);
      const data = new Float32Array(at.ones(S));
      for (let s = 0; s < S; s++) data.fill(1, at.xi(s, 0), at.xi(s, T));
      for (let m = 0; m < blocks(T); m++) {
        const s = m % S;
        for (let t = m * k1; t < Math.min(T, (m + 1) * k1); t++) data[at.mask(s, t)] = 1;
        const j = cut(m);
        if (j > 0) data.fill(0, at.xi(s, j), at.xi(s, j + 1));
      }
      return { streams: S, T, B, data };
    },
    check: () => {},
    describe: `tbptt(k1=${k1}, k2=${k2})`,
  });
}

const KINDS = '"full", "regular", "randomized", "explicit", "tbptt"';

/** A strategy from its plain description (JSON, URL parameters, CLI flags). */
export function truncationFrom(spec: TruncationSpec): Truncation {
  switch (spec?.kind) {
    case 'full':
      return full();
    case 'regular':
      return regular(spec.tau);
    case 'randomized': {
      if (spec.pi !== undefined && spec.schedule !== undefined) throw new BpttError('truncation.schedule', 'given with pi', 'give either pi or schedule');
      return randomized((spec.schedule ?? spec.pi) as number, { perSequence: spec.perSequence });
    }
    case 'explicit':
      return explicit(spec.xi);
    case 'tbptt':
      return tbptt(spec.k1, spec.k2);
    default:
      throw new BpttError('truncation.kind', show((spec as { kind?: unknown })?.kind), `must be one of ${KINDS}`);
  }
}

/**
 * A strategy from its short text form, shared by the CLI, the demo's URL and
 * the bench: `full`, `regular:TAU`, `randomized:PI`, `randomized:PI:per-sequence`,
 * `geometric:P:MIN` (randomized with geometric lengths; `:per-sequence` too),
 * `tbptt:K1:K2`.
 */
export function truncationFromText(text: string): Truncation {
  const parts = String(text).split(':');
  const num = (i: number, name: string) => {
    const v = Number(parts[i]);
    if (parts[i] === undefined || parts[i] === '' || !Number.isFinite(v)) throw new BpttError(`truncation ${name}`, show(parts[i] ?? '(missing)'), `must be a number in "${text}"`);
    return v;
  };
  const perSeq = (i: number) => {
    if (parts.length <= i) return false;
    if (parts[i] === 'per-sequence' && parts.length === i + 1) return true;
    throw new BpttError('truncation', show(text), 'only ":per-sequence" may follow');
  };
  const arity = (n: number) => {
    if (parts.length !== n) throw new BpttError('truncation', show(text), `"${parts[0]}" takes ${n - 1} value(s)`);
  };
  switch (parts[0]) {
    case 'full':
      arity(1);
      return full();
    case 'regular':
      arity(2);
      return regular(num(1, 'tau'));
    case 'randomized':
      return randomized(num(1, 'pi'), { perSequence: perSeq(2) });
    case 'geometric':
      return randomized({ kind: 'geometric', p: num(1, 'p'), min: num(2, 'min') }, { perSequence: perSeq(3) });
    case 'tbptt':
      arity(3);
      return tbptt(num(1, 'k1'), num(2, 'k2'));
    default:
      throw new BpttError('truncation', show(text), 'must be full, regular:TAU, randomized:PI[:per-sequence], geometric:P:MIN[:per-sequence] or tbptt:K1:K2');
  }
}

/**
 * The segments [start, end) over which the gradient flows unbroken in a
 * shared ξ (ξ_t = 0 starts a new one).
 */
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

/**
 * Each loss's reach: for the loss at step t of sequence b, the earliest step
 * j whose state it backpropagates into (walking back while the links are
 * kept in the stream that carries it). For the demo's segment figure.
 */
export function lossReach(p: XiPlan, b = 0): Int32Array {
  const reach = new Int32Array(p.T);
  for (let t = 0; t < p.T; t++) {
    let s = 0;
    while (s < p.streams && maskAt(p, s, t) === 0) s++;
    let j = t;
    while (j > 0 && xiAt(p, s, j, b) !== 0) j--;
    reach[t] = j;
  }
  return reach;
}
