// The benchmark's LSTM workload runs our LSTM step beside TF.js's
// tf.layers.lstm (wasm here) in the same run. Speed is not asserted: only
// that both ran and started at the loss of a uniform guess (ln V).
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { gpu } from './gpu';
import { runBench } from '../bench/core';

describe('benchmark harness: LSTM', () => {
  it('a tiny LSTM workload beside tf.layers.lstm', async () => {
    const device = await gpu();
    const require = createRequire(import.meta.url);
    const tf = require('@tensorflow/tfjs');
    require('@tensorflow/tfjs-backend-wasm');
    const w = { name: 'tiny-lstm', V: 8, H: 16, B: 2, T: 4, cell: 'lstm' as const };
    const r = await runBench(device, { workloads: [w], strategies: ['full'], warmup: 1, steps: 2, sweepVariants: ['naive@8x8'], tfjs: { tf, layers: tf, backends: ['wasm'], maxSeconds: 5 } }, 'test');
    const res = r.results[0];
    expect(res.unsupported).toBeUndefined();
    expect(res.ours[0].strategy).toBe('full');
    expect(Number.isFinite(res.ours[0].finalLoss)).toBe(true);
    expect(res.peers[0].backend).toBe('wasm');
    expect(res.peers[0].ms?.n).toBeGreaterThan(0);
    expect(res.peers[0].trusted).toBe(true); // its first loss ≈ ln 8, as ours
  });
});
