// The bench's summary of repeated timings: every table reports a median with
// its spread, computed here once for the training step, the phase profile
// and inference alike.
import { median } from '../src/util/median';

export { median };

/** min / median / max of a set of times, in ms. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** min, median, max and count of `a`. */
export function spread(a: number[]): Spread {
  return { min: Math.min(...a), median: median(a), max: Math.max(...a), n: a.length };
}

/** A fraction as a whole percentage: "83%". */
export const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** A spread of fractions as "median% [min–max%]" ("—" where there is none). */
export const pctSpread = (s: Spread | undefined) => (s ? `${pct(s.median)} [${pct(s.min)}–${pct(s.max)}]` : '—');
