// The delay task: B endless streams of random symbols from an alphabet of 8;
// the target at each step is the symbol seen `lag` steps earlier. To learn it
// a gradient must travel `lag` steps back, so it separates the truncation
// strategies: regular truncation every τ ≤ lag steps cannot learn it,
// TBPTT(1, k2) learns it only when k2 ≥ lag + 1, full BPTT over a window
// longer than the lag can. Chance is 1/8 (loss ln 8 ≈ 2.08).
import type { Minibatch } from './partition';
import { createRng } from '../util/rng';
import { requireInt } from '../errors';

/** Symbols of the delay task's alphabet. */
export const DELAY_ALPHABET = 8;

/** An endless delay task: minibatches that continue each stream (state carried). */
export interface DelayTask {
  /** k: the target at step t is the token at step t − k. */
  readonly lag: number;
  /** B, streams per minibatch. */
  readonly batch: number;
  /** T, steps per minibatch. */
  readonly steps: number;
  /** Vocabulary size (DELAY_ALPHABET). */
  readonly vocabSize: number;
  /**
   * The next minibatch (time-major tokens and targets): 'reset' for the
   * first, then 'carry'. The first `lag` targets of each stream are symbols
   * drawn before it started, which no model can know.
   */
  next(): Minibatch;
}

/**
 * The delay task with lag k for B streams of windows of T steps, seeded (the
 * same seed gives the same symbols).
 */
export function delayTask(lag: number, batch: number, steps: number, seed = 0): DelayTask {
  requireInt('lag', lag, 1, 1 << 20);
  requireInt('batch', batch, 1, 1 << 20);
  requireInt('steps', steps, 1, 1 << 20);
  requireInt('seed', seed, 0, 0xffffffff);
  const A = DELAY_ALPHABET;
  const rng = createRng(seed + 101);
  // per stream, the last lag + 1 symbols (the first lag of them drawn before the stream starts)
  const history: number[][] = Array.from({ length: batch }, () => Array.from({ length: lag }, () => rng.int(A)));
  let offset = 0;
  return {
    lag,
    batch,
    steps,
    vocabSize: A,
    next() {
      const tokens = new Uint32Array(steps * batch), targets = new Uint32Array(steps * batch);
      for (let b = 0; b < batch; b++) {
        const h = history[b];
        for (let t = 0; t < steps; t++) {
          const x = rng.int(A);
          tokens[t * batch + b] = x;
          targets[t * batch + b] = h[h.length - lag];
          h.push(x);
          if (h.length > lag + 1) h.shift();
        }
      }
      const mb: Minibatch = { tokens, targets, state: offset === 0 ? 'reset' : 'carry', starts: Array.from({ length: batch }, () => offset) };
      offset += steps;
      return mb;
    },
  };
}
