// The worker e2e's task, built from seeds on both sides (page and Node):
// y_t = x_{t−1} (y_0 = 0), one dense feature, every step's output.
import { createRng } from '../../src/util/rng';
import type { ModelSpec } from '../../src/api/spec';

export const SPEC: ModelSpec = { cell: 'gru', hidden: 12, input: { features: 1 }, output: { regression: 1 }, returnSequences: true };
export const N = 32, T = 8;

/** Batch-major x (N, T, 1) and y (N, T, 1). */
export function delayData(seed: number, n = N) {
  const rng = createRng(seed);
  const x = new Float32Array(n * T), y = new Float32Array(n * T);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) {
      x[i * T + t] = 2 * rng.next() - 1;
      y[i * T + t] = t === 0 ? 0 : x[i * T + t - 1];
    }
  }
  return { x, y };
}
