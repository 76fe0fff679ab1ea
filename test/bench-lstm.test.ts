// The benchmark's LSTM workload runs our LSTM step beside TF.js's
// tf.layers.lstm (wasm here) in the same run. Speed is not asserted: only
// that both ran and started at the loss of a uniform guess (ln V). Its sweep
// runs the two variants bench.test.ts leaves out, each checked against float64.
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { gpu } from './gpu';
import { runBench } from '../bench/core';
import { SWEEP, sweepName } from '../bench/gemm-sweep';
import type { MatmulVariant } from '../src/kernels/matmul';

describe('benchmark harness: LSTM', () => {
  it('a tiny LSTM workload beside tf.layers.lstm', async () => {
    const device = await gpu();
    const require = createRequire(import.meta.url);
    const tf = require('@tensorflow/tfjs');
    require('@tensorflow/tfjs-backend-wasm');
    const w = { name: 'tiny-lstm', V: 8, H: 16, B: 2, T: 4, cell: 'lstm' as const };
    const sweepVariants = [SWEEP.find((v) => v.kind === 'reg' && v.tm === 8 && v.tn === 8 && !v.aVec && !v.bVec && !v.unroll)!, SWEEP.find((v) => v.kind === 'tiled')!].map(sweepName);
    const tuneVariants: MatmulVariant[] = ['scalar@8x8', 'vec4@8x8'];
    const r = await runBench(device, { workloads: [w], strategies: ['full'], warmup: 1, steps: 2, sweepVariants, tuneVariants, ceilingRounds: 1, tfjs: { tf, layers: tf, backends: ['wasm'], maxSeconds: 5 } }, 'test');
    const res = r.results[0];
    expect(res.unsupported).toBeUndefined();
    expect(res.ours[0].strategy).toBe('full');
    expect(res.ours[0].ms.median).toBeGreaterThan(0);
    expect(Number.isFinite(res.ours[0].finalLoss)).toBe(true);
    for (const t of res.tuning.matmul) expect(tuneVariants).toContain(t.best);
    // the sweep at the LSTM's shapes, the recurrence's (B×H)·(H×4H) last: every variant within 1e-4 of float64
    expect(res.sweep.at(-1)!.shape).toMatchObject({ M: w.B, N: 4 * w.H, K: w.H });
    for (const s of res.sweep) {
      expect(s.entries.map((e) => e.variant).sort()).toEqual([...sweepVariants].sort());
      for (const e of s.entries) expect(e.error).toBeLessThan(1e-4);
    }
    expect(res.peers[0].backend).toBe('wasm');
    expect(res.peers[0].ms?.n).toBeGreaterThan(0);
    expect(res.peers[0].trusted).toBe(true); // its first loss ≈ ln 8, as ours
  });
});
