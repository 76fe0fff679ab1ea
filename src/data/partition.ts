// d2l's two ways of cutting a long token sequence into minibatches of B
// subsequences of T steps, returned time-major for the engine.
//  - sequential: B parallel streams; minibatch i of stream b continues where
//    minibatch i − 1 of stream b stopped, so the state is carried (detached).
//  - random: random non-overlapping subsequences; the state is reset.
import type { Rng } from '../util/rng';
import { BpttError } from '../errors';

/** d2l's sequential partitioning (state carried) or random sampling (state reset). */
export type Partition = 'sequential' | 'random';

/** One minibatch cut from a token sequence. */
export interface Minibatch {
  /** tokens, targets: (T, B) time-major; targets[t] = tokens[t + 1] in the text. */
  tokens: Uint32Array;
  targets: Uint32Array;
  /** 'carry' for sequential partitioning, 'reset' for random sampling. */
  state: 'carry' | 'reset';
  /** Text offset where subsequence b starts (B), for drawing segment boundaries. */
  starts: number[];
}

/** The minibatches of one epoch. A random offset in [0, T) starts it, as in d2l. */
export function epochBatches(ids: Uint32Array, B: number, T: number, partition: Partition, rng: Rng): Minibatch[] {
  if (ids.length < B * T + 1 + T) {
    throw new BpttError('corpus', `${ids.length} tokens`, `is too short for batch=${B} × steps=${T}: needs at least ${B * T + T + 1} tokens`);
  }
  const offset = rng.int(T);
  const out: Minibatch[] = [];
  if (partition === 'sequential') {
    const usable = Math.floor((ids.length - offset - 1) / B) * B;
    const perStream = usable / B;
    const nBatches = Math.floor(perStream / T);
    for (let i = 0; i < nBatches; i++) {
      const tokens = new Uint32Array(T * B), targets = new Uint32Array(T * B);
      const starts: number[] = [];
      for (let b = 0; b < B; b++) {
        const s = offset + b * perStream + i * T;
        starts.push(s);
        for (let t = 0; t < T; t++) {
          tokens[t * B + b] = ids[s + t];
          targets[t * B + b] = ids[s + t + 1];
        }
      }
      out.push({ tokens, targets, state: i === 0 ? 'reset' : 'carry', starts });
    }
  } else {
    const nSubseq = Math.floor((ids.length - offset - 1) / T);
    const order = Array.from({ length: nSubseq }, (_, i) => offset + i * T);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let i = 0; i + B <= order.length; i += B) {
      const tokens = new Uint32Array(T * B), targets = new Uint32Array(T * B);
      const starts = order.slice(i, i + B);
      starts.forEach((s, b) => {
        for (let t = 0; t < T; t++) {
          tokens[t * B + b] = ids[s + t];
          targets[t * B + b] = ids[s + t + 1];
        }
      });
      out.push({ tokens, targets, state: 'reset', starts });
    }
  }
  return out;
}
