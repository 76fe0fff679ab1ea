// Checking and converting a minibatch before it goes to the GPU.
// Layout is time-major: row r = t·B + b.
//
// Sequence lengths: step t of sequence b is real iff t < lengths[b] (default
// every step). Padded steps hold the state in the forward kernels and carry
// loss weight 0, so they add no loss and no gradient; their inputs and
// targets are not read (uploaded as 0), so padding may hold anything.
// The loss is Σ w·l / Σ w over the counted positions (real, t ≥ lossFrom),
// w = lossWeights (default 1): the mean over the real positions, as PyTorch's
// cross-entropy with ignored positions.
import type { RnnConfig } from '../model/config';
import { BpttError, requireInt, show } from '../errors';

/** One minibatch, time-major (row r = t·B + b), as plain arrays or typed arrays. */
export interface BatchInput {
  /** tokens: (T, B) ids in [0, V), for input 'tokens'. */
  tokens?: ArrayLike<number>;
  /** x: (T, B, d), for input 'dense'. */
  x?: ArrayLike<number>;
  /** targets: (T, B) ids in [0, Q), for loss 'softmax-xent'. */
  targets?: ArrayLike<number>;
  /** y: (T, B, Q), for loss 'mse'. */
  y?: ArrayLike<number>;
  /**
   * (B) integers in [0, T]: step t of sequence b is real iff t < lengths[b]
   * (default T for every sequence). Padded steps hold the state and add no
   * loss or gradient; the final state is each sequence's state after its
   * last real step. A length of 0 contributes nothing.
   */
  lengths?: ArrayLike<number>;
  /** (T, B) loss weights ≥ 0 (default 1): the loss is Σ w·l / Σ w over the real positions. */
  lossWeights?: ArrayLike<number>;
}

/** A minibatch ready for upload. */
export interface CheckedBatch {
  input: Uint32Array | Float32Array;
  target: Uint32Array | Float32Array;
  /** (B) lengths, each in [0, T]. */
  lengths: Uint32Array;
  /** (T·B) per-row loss weights, normalised to sum to 1 (0 on uncounted rows). */
  weights: Float32Array;
}

/** `a` as an array of n `what`; `size` says how n is made (e.g. "T·B = 8"). */
function arrayOf(field: string, a: ArrayLike<number> | undefined, n: number, what: string, size = String(n)): ArrayLike<number> {
  if (!a || typeof a !== 'object' || typeof a.length !== 'number') throw new BpttError(field, show(a), `must be an array of ${n} ${what}`);
  if (a.length !== n) throw new BpttError(field, `length ${a.length}`, `must have ${size} entries`);
  return a;
}

/** ids at the rows `real` keeps (others 0). */
function ids(field: string, a: ArrayLike<number> | undefined, R: number, limit: number, what: string, real: (r: number) => boolean): Uint32Array {
  const v = arrayOf(field, a, R, `${what} ids`, `T·B = ${R}`);
  const out = new Uint32Array(R);
  for (let i = 0; i < R; i++) {
    if (!real(i)) continue;
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= limit) {
      throw new BpttError(`${field}[${i}]`, show(x), `must be an integer in [0, ${limit - 1}]`);
    }
    out[i] = x;
  }
  return out;
}

/** `per` numbers per row at the rows `real` keeps (others 0). */
function dense(field: string, a: ArrayLike<number> | undefined, R: number, per: number, real: (r: number) => boolean): Float32Array {
  const v = arrayOf(field, a, R * per, 'numbers');
  const out = new Float32Array(R * per);
  for (let i = 0; i < R * per; i++) {
    if (!real(Math.floor(i / per))) continue;
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new BpttError(`${field}[${i}]`, show(x), 'must be a finite number');
    out[i] = x;
  }
  return out;
}

/** The (B) lengths of a batch, each in [0, T] (default T). */
export function checkLengths(lengths: ArrayLike<number> | undefined, B: number, T: number): Uint32Array {
  if (lengths === undefined) return new Uint32Array(B).fill(T);
  const v = arrayOf('lengths', lengths, B, 'sequence lengths', `B = ${B}`);
  const out = new Uint32Array(B);
  for (let b = 0; b < B; b++) out[b] = requireInt(`lengths[${b}]`, v[b], 0, T);
  return out;
}

/** Inputs and lengths (forward only: no targets). */
export function checkInputs(c: RnnConfig, B: number, T: number, batch: BatchInput): { input: Uint32Array | Float32Array; lengths: Uint32Array } {
  if (typeof batch !== 'object' || batch === null) throw new BpttError('batch', show(batch), 'must be an object');
  const lengths = checkLengths(batch.lengths, B, T);
  const real = (r: number) => Math.floor(r / B) < lengths[r % B];
  const R = T * B;
  if (c.input === 'tokens' && batch.x !== undefined && batch.tokens === undefined) throw new BpttError('x', 'dense inputs', `this model takes token ids (input 'tokens', V = ${c.inputSize}): give tokens`);
  if (c.input === 'dense' && batch.tokens !== undefined && batch.x === undefined) throw new BpttError('tokens', 'token ids', `this model takes dense inputs (input 'dense', d = ${c.inputSize}): give x`);
  const input = c.input === 'tokens' ? ids('tokens', batch.tokens, R, c.inputSize, 'token', real) : dense('x', batch.x, R, c.inputSize, real);
  return { input, lengths };
}

/** Check a whole minibatch; the loss counts steps lossFrom … T − 1 of each sequence's real steps. */
export function checkBatch(c: RnnConfig, B: number, T: number, batch: BatchInput, lossFrom = 0): CheckedBatch {
  const { input, lengths } = checkInputs(c, B, T, batch);
  const R = T * B;
  const counted = (r: number) => {
    const t = Math.floor(r / B);
    return t >= lossFrom && t < lengths[r % B];
  };
  const target = c.loss === 'softmax-xent' ? ids('targets', batch.targets, R, c.outputSize, 'class', counted) : dense('y', batch.y, R, c.outputSize, counted);
  const given = batch.lossWeights === undefined ? undefined : arrayOf('lossWeights', batch.lossWeights, R, 'loss weights', `T·B = ${R}`);
  const raw = new Float64Array(R);
  let sum = 0;
  for (let r = 0; r < R; r++) {
    if (!counted(r)) continue; // padding (and steps before lossFrom) may hold anything
    const w = given ? given[r] : 1;
    if (given && (typeof w !== 'number' || !Number.isFinite(w) || w < 0)) throw new BpttError(`lossWeights[${r}]`, show(w), 'must be a finite number ≥ 0');
    raw[r] = w;
    sum += w;
  }
  if (!(sum > 0)) {
    throw new BpttError(given ? 'lossWeights' : 'lengths', given ? 'all 0 on the counted positions' : `all ≤ ${lossFrom}`, `at least one real step${lossFrom ? ` at t ≥ lossFrom = ${lossFrom}` : ''} must carry loss weight`);
  }
  const weights = new Float32Array(R);
  for (let r = 0; r < R; r++) weights[r] = raw[r] / sum;
  return { input, target, lengths, weights };
}

/** Each chunk's lengths, [chunk][B]: the steps of chunk k (k·C … k·C + C − 1) that are real. */
export function chunkLengths(lengths: Uint32Array, C: number, chunks: number): Uint32Array {
  const B = lengths.length;
  const out = new Uint32Array(chunks * B);
  for (let k = 0; k < chunks; k++) {
    for (let b = 0; b < B; b++) out[k * B + b] = Math.max(0, Math.min(C, lengths[b] - k * C));
  }
  return out;
}
