// Checking and converting a minibatch before it goes to the GPU.
// Layout is time-major: row r = t·B + b.
import type { RnnConfig } from '../model/config';
import { BpttError, show } from '../errors';

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
}

export interface CheckedBatch {
  input: Uint32Array | Float32Array;
  target: Uint32Array | Float32Array;
}

function ids(field: string, a: ArrayLike<number> | undefined, n: number, limit: number, what: string): Uint32Array {
  if (!a || typeof a.length !== 'number') throw new BpttError(field, show(a), `must be an array of ${n} ${what} ids`);
  if (a.length !== n) throw new BpttError(field, `length ${a.length}`, `must have T·B = ${n} entries`);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= limit) {
      throw new BpttError(`${field}[${i}]`, show(v), `must be an integer in [0, ${limit - 1}]`);
    }
    out[i] = v;
  }
  return out;
}

function dense(field: string, a: ArrayLike<number> | undefined, n: number): Float32Array {
  if (!a || typeof a.length !== 'number') throw new BpttError(field, show(a), `must be an array of ${n} numbers`);
  if (a.length !== n) throw new BpttError(field, `length ${a.length}`, `must have ${n} entries`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new BpttError(`${field}[${i}]`, show(v), 'must be a finite number');
    out[i] = v;
  }
  return out;
}

export function checkBatch(c: RnnConfig, B: number, T: number, batch: BatchInput): CheckedBatch {
  if (typeof batch !== 'object' || batch === null) throw new BpttError('batch', show(batch), 'must be an object');
  const R = T * B;
  const input = c.input === 'tokens' ? ids('tokens', batch.tokens, R, c.inputSize, 'token') : dense('x', batch.x, R * c.inputSize);
  const target = c.loss === 'softmax-xent' ? ids('targets', batch.targets, R, c.outputSize, 'class') : dense('y', batch.y, R * c.outputSize);
  return { input, target };
}
