// A user's sequence data, checked and laid out before any GPU work: nested
// arrays ([N][T][d] dense, [N][T] token ids) or typed arrays with an explicit
// shape ({ data, shape: [N, T, d] }). Everything is stored batch-major
// (sequence n, step t at n·T + t), padded with zeros to T = the longest
// sequence; each sequence's real length is kept in `lengths`.
//
// Ragged rows: a nested x whose sequences have different lengths needs no
// `lengths` argument: each row's own length is its length. With `lengths`,
// row n must hold at least lengths[n] steps (steps beyond are ignored), so
// data padded to T is accepted as it is. Typed data is [N, T, …] with every
// length T unless `lengths` says otherwise.
import { BpttError, show } from '../errors';
import type { CheckedSpec } from './spec';

/** A typed array with its shape, outermost dimension first (row-major). */
export interface Shaped {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** Nested arrays or a shaped typed array. */
export type ArrayData = Shaped | readonly unknown[];

/** Checked inputs: N sequences padded to T steps. */
export interface Inputs {
  N: number;
  T: number;
  /** Each sequence's real length, in [1, T]. */
  lengths: Uint32Array;
  /** Dense: (N, T, d) floats; tokens: (N, T) ids. Padded steps are 0. */
  data: Float32Array | Uint32Array;
  /** Values per step: d (dense) or 1 (tokens). */
  width: number;
}

/** Checked targets shaped to the head: per step (N, T, ·) or per sequence (N, ·). */
export interface Targets {
  /** Regression: floats, Q per position; classes: one id per position. */
  data: Float32Array | Uint32Array;
  /** Values per position: Q (regression) or 1 (class ids). */
  width: number;
  /** True: one target per step (N·T positions); false: one per sequence (N). */
  perStep: boolean;
}

const isShaped = (v: unknown): v is Shaped =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'shape' in v && 'data' in v;

function dims(shape: readonly number[]): string {
  return shape.map((n) => `[${n}]`).join('');
}

/** A shape's names, e.g. [N][T][d] = [10][20][4]. */
function expect(names: string[], sizes: (number | string)[]): string {
  return `${names.map((n) => `[${n}]`).join('')} = ${sizes.map((n) => `[${n}]`).join('')}`;
}

function checkShaped(field: string, v: Shaped, names: string[], sizes: (number | undefined)[]): number[] {
  const shape = v.shape;
  const want = expect(names, sizes.map((s, i) => s ?? names[i]));
  if (!Array.isArray(shape) || shape.length !== names.length || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new BpttError(`${field}.shape`, JSON.stringify(shape), `must be ${want}`);
  }
  shape.forEach((n, i) => {
    if (sizes[i] !== undefined && n !== sizes[i]) throw new BpttError(`${field}.shape`, JSON.stringify(shape), `must be ${want} (dimension ${i} is ${n}, expected ${sizes[i]})`);
  });
  const count = shape.reduce((a, b) => a * b, 1);
  if (!v.data || typeof v.data.length !== 'number') throw new BpttError(`${field}.data`, show(v.data), 'must be a typed array');
  if (v.data.length !== count) throw new BpttError(`${field}.data`, `length ${v.data.length}`, `must hold ${dims(shape)} = ${count} values`);
  return shape as number[];
}

function finite(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BpttError(field, show(v), 'must be finite');
  return v;
}

function id(field: string, v: unknown, limit: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= limit) throw new BpttError(field, show(v), `must be an integer ${what} in [0, ${limit - 1}]`);
  return v;
}

/** Check `lengths` (N integers in [1, T]); T undefined: any ≥ 1. */
export function checkLengths(lengths: unknown, N: number, T?: number, field = 'lengths'): Uint32Array {
  if (!lengths || typeof (lengths as ArrayLike<number>).length !== 'number' || typeof lengths === 'string') throw new BpttError(field, show(lengths), `must be an array of N = ${N} lengths`);
  const a = lengths as ArrayLike<number>;
  if (a.length !== N) throw new BpttError(field, `length ${a.length}`, `must have one length per sequence (N = ${N})`);
  const out = new Uint32Array(N);
  for (let n = 0; n < N; n++) {
    const v = a[n];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || (T !== undefined && v > T)) throw new BpttError(`${field}[${n}]`, show(v), `must be an integer in [1, ${T ?? '∞'}]${T !== undefined ? ' (T, the steps of x)' : ''}`);
    out[n] = v;
  }
  return out;
}

/** Check x for `spec` and lay it out (N, T, ·) with its lengths. */
export function parseInputs(spec: CheckedSpec, x: unknown, lengths?: unknown, field = 'x'): Inputs {
  const dense = 'features' in spec.input;
  const d = 'features' in spec.input ? spec.input.features : 1;
  const V = 'tokens' in spec.input ? spec.input.tokens : 0;
  const names = dense ? ['N', 'T', 'd'] : ['N', 'T'];
  const sizes = dense ? [undefined, undefined, d] : [undefined, undefined];
  const kind = dense ? `a dense model (input.features = ${d}) takes x as [N][T][d] = [N][T][${d}]` : `a token model (input.tokens = ${V}) takes x as [N][T] integer ids in [0, ${V - 1}]`;
  if (isShaped(x)) {
    const shape = x.shape;
    if (!dense && Array.isArray(shape) && shape.length === 3) throw new BpttError(`${field}.shape`, JSON.stringify(shape), `is dense data: ${kind}`);
    if (dense && Array.isArray(shape) && shape.length === 2) throw new BpttError(`${field}.shape`, JSON.stringify(shape), `is token ids: ${kind}`);
    const [N, T] = checkShaped(field, x, names, sizes);
    if (N === 0 || T === 0) throw new BpttError(`${field}.shape`, JSON.stringify(shape), 'needs at least one sequence of at least one step');
    const lens = lengths === undefined ? new Uint32Array(N).fill(T) : checkLengths(lengths, N, T);
    const data = dense ? new Float32Array(N * T * d) : new Uint32Array(N * T);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < lens[n]; t++) {
        for (let j = 0; j < d; j++) {
          const i = (n * T + t) * d + j;
          const v = x.data[i];
          const at = dense ? `${field}[${n}][${t}][${j}]` : `${field}[${n}][${t}]`;
          data[i] = dense ? finite(at, v) : id(at, v, V, 'token id');
        }
      }
    }
    return { N, T, lengths: lens, data, width: d };
  }
  if (!Array.isArray(x)) throw new BpttError(field, show(x), `must be nested arrays or { data, shape }: ${kind}`);
  const N = x.length;
  if (N === 0) throw new BpttError(field, 'array(0)', 'needs at least one sequence');
  // lengths: given, or each row's own (ragged rows allowed)
  const rows: unknown[][] = [];
  for (let n = 0; n < N; n++) {
    const row = x[n];
    if (!Array.isArray(row)) throw new BpttError(`${field}[${n}]`, show(row), `must be an array of steps: ${kind}`);
    rows.push(row);
  }
  const lens = lengths === undefined ? checkLengths(rows.map((r) => r.length), N, undefined, `${field}[n].length`) : checkLengths(lengths, N);
  let T = 0;
  for (let n = 0; n < N; n++) {
    if (rows[n].length < lens[n]) throw new BpttError(`${field}[${n}]`, `${rows[n].length} steps`, `must hold at least lengths[${n}] = ${lens[n]} steps`);
    T = Math.max(T, lens[n]);
  }
  const data = dense ? new Float32Array(N * T * d) : new Uint32Array(N * T);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < lens[n]; t++) {
      const step = rows[n][t];
      const at = `${field}[${n}][${t}]`;
      if (dense) {
        if (!Array.isArray(step) && !ArrayBuffer.isView(step)) {
          const hint = typeof step === 'number' ? `: a number where ${dims([d])} features were expected (token ids go to a model with input { tokens: V })` : '';
          throw new BpttError(at, show(step), `must be an array of d = ${d} features: found ${field} as [${N}][${rows[n].length}] instead of [N][T][d] = [${N}][T][${d}]${hint}`);
        }
        const v = step as ArrayLike<number>;
        if (v.length !== d) throw new BpttError(at, show(v), `must have d = ${d} features: x is [N][T][d] = [${N}][T][${d}], found [${N}][${rows[n].length}][${v.length}] at ${at}`);
        for (let j = 0; j < d; j++) data[(n * T + t) * d + j] = finite(`${at}[${j}]`, v[j]);
      } else {
        if (Array.isArray(step) || ArrayBuffer.isView(step)) {
          throw new BpttError(at, show(step), `is a vector of features: ${kind} (dense features go to a model with input { features: d })`);
        }
        data[n * T + t] = id(at, step, V, 'token id');
      }
    }
  }
  return { N, T, lengths: lens, data, width: d };
}

/**
 * Check y for the head (regression Q or classes C; per step with
 * returnSequences, else per sequence) against the inputs' N, T and lengths.
 * A regression head with Q = 1 and one value per sequence also takes y as [N].
 */
export function parseTargets(spec: CheckedSpec, y: unknown, inputs: Inputs, field = 'y'): Targets {
  const { N, T, lengths } = inputs;
  const regression = 'regression' in spec.output;
  const Q = 'regression' in spec.output ? spec.output.regression : 1;
  const C = 'classes' in spec.output ? spec.output.classes : 0;
  const perStep = spec.returnSequences;
  const names = perStep ? ['N', 'T'] : ['N'];
  if (regression) names.push('Q');
  const sizes: (number | undefined)[] = perStep ? [N, T] : [N];
  if (regression) sizes.push(Q);
  const width = regression ? Q : 1;
  const head = regression ? `regression (Q = ${Q})` : `classes (C = ${C}): class ids in [0, ${C - 1}]`;
  const want = `${names.map((n) => `[${n}]`).join('')} = ${sizes.map((n) => `[${n}]`).join('')}`;
  const rule = `y must be ${want} for ${perStep ? 'returnSequences: true' : 'one output per sequence (returnSequences: false)'}, ${head}`;
  const put = (at: string, v: unknown) => (regression ? finite(at, v) : id(at, v, C, 'class id'));
  const data = regression ? new Float32Array((perStep ? N * T : N) * Q) : new Uint32Array(perStep ? N * T : N);
  if (isShaped(y)) {
    const shape = y.shape as number[];
    // [N] for Q = 1 per sequence
    const flatQ1 = regression && !perStep && Q === 1 && Array.isArray(shape) && shape.length === 1;
    const s = flatQ1 ? checkShaped(field, y, ['N'], [N]) : checkShaped(field, y, names, sizes);
    void s;
    if (perStep) {
      for (let n = 0; n < N; n++) for (let t = 0; t < lengths[n]; t++) for (let j = 0; j < width; j++) {
        const i = (n * T + t) * width + j;
        data[i] = put(`${field}[${n}][${t}]${regression ? `[${j}]` : ''}`, y.data[i]);
      }
    } else {
      for (let i = 0; i < N * width; i++) data[i] = put(`${field}[${Math.floor(i / width)}]${regression && !flatQ1 ? `[${i % width}]` : ''}`, y.data[i]);
    }
    return { data, width, perStep };
  }
  if (!Array.isArray(y)) throw new BpttError(field, show(y), `must be nested arrays or { data, shape }: ${rule}`);
  if (y.length !== N) throw new BpttError(field, `array(${y.length})`, `must have one entry per sequence of x (N = ${N}): ${rule}`);
  const vec = (at: string, v: unknown, n: number, found: string) => {
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new BpttError(at, show(v), `must be an array of Q = ${Q} values: ${rule}, found ${found}`);
    const a = v as ArrayLike<number>;
    if (a.length !== Q) throw new BpttError(at, show(a), `must have Q = ${Q} values: ${rule}, found ${found}[${a.length}]`);
    for (let j = 0; j < Q; j++) data[n * Q + j] = finite(`${at}[${j}]`, a[j]);
  };
  for (let n = 0; n < N; n++) {
    const row = y[n];
    const at = `${field}[${n}]`;
    if (!perStep) {
      if (regression) {
        if (Q === 1 && typeof row === 'number') data[n] = finite(at, row);
        else vec(at, row, n, `[${N}]`);
      } else {
        if (Array.isArray(row) || ArrayBuffer.isView(row)) throw new BpttError(at, show(row), `must be a class id: ${rule} (per-step targets need returnSequences: true)`);
        data[n] = id(at, row, C, 'class id');
      }
      continue;
    }
    if (!Array.isArray(row)) throw new BpttError(at, show(row), `must be an array of steps: ${rule}`);
    if (row.length < lengths[n]) throw new BpttError(at, `${row.length} steps`, `must hold lengths[${n}] = ${lengths[n]} steps (as x[${n}] does): ${rule}`);
    for (let t = 0; t < lengths[n]; t++) {
      const v = row[t];
      if (regression) {
        if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new BpttError(`${at}[${t}]`, show(v), `must be an array of Q = ${Q} values: ${rule}, found [${N}][${row.length}]`);
        const a = v as ArrayLike<number>;
        if (a.length !== Q) throw new BpttError(`${at}[${t}]`, show(a), `must have Q = ${Q} values: ${rule}, found [${N}][${row.length}][${a.length}]`);
        for (let j = 0; j < Q; j++) data[(n * T + t) * Q + j] = finite(`${at}[${t}][${j}]`, a[j]);
      } else {
        if (Array.isArray(v) || ArrayBuffer.isView(v)) throw new BpttError(`${at}[${t}]`, show(v), `must be a class id: ${rule}`);
        data[n * T + t] = id(`${at}[${t}]`, v, C, 'class id');
      }
    }
  }
  return { data, width, perStep };
}

/** Sequences `idx` of inputs and targets (for validationSplit and shuffling). */
export function take(inputs: Inputs, targets: Targets | undefined, idx: ArrayLike<number>): { inputs: Inputs; targets?: Targets } {
  const { T, width } = inputs;
  const M = idx.length;
  const lengths = new Uint32Array(M);
  const data = new (inputs.data.constructor as Float32ArrayConstructor)(M * T * width) as Float32Array | Uint32Array;
  for (let m = 0; m < M; m++) {
    const n = idx[m];
    lengths[m] = inputs.lengths[n];
    data.set(inputs.data.subarray(n * T * width, (n + 1) * T * width), m * T * width);
  }
  const out = { inputs: { N: M, T, lengths, data, width } as Inputs, targets: undefined as Targets | undefined };
  if (targets) {
    const per = (targets.perStep ? T : 1) * targets.width;
    const td = new (targets.data.constructor as Float32ArrayConstructor)(M * per) as Float32Array | Uint32Array;
    for (let m = 0; m < M; m++) td.set(targets.data.subarray(idx[m] * per, (idx[m] + 1) * per), m * per);
    out.targets = { data: td, width: targets.width, perStep: targets.perStep };
  }
  return out;
}
