// The benchmark harness runs (tiny workload, TF.js wasm as the peer, the GEMM
// sweep checked against float64) and the trainer allocates nothing per step.
// Speed is never asserted here: only that each number is there and sane.
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { gpu } from './gpu';
import { runBench } from '../bench/core';
import { WORKLOADS } from '../bench/workloads';
import { MATMUL_VARIANTS } from '../src/kernels/matmul';
import { toMarkdown, spliceLatest } from '../bench/report';
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { liveMemory } from '../src/gpu/buffers';
import { regular } from '../src/engine/truncation';
import { createRng } from '../src/util/rng';

describe('benchmark harness', () => {
  it('runs on a tiny workload: tuning, the GEMM sweep, each GEMM against its ceiling, every strategy, the TF.js wasm peer', async () => {
    const device = await gpu();
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs');
    createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
    // a few sweep variants of each kind, to keep the test short: naive, register-blocked scalar and vec4, tiled
    const sweepVariants = ['naive@8x8', 'reg4x4@8x8', 'reg8x8@4x4', 'reg8x8-vB@4x4', 'reg8x8-vA-vB@4x4', 'tiled64-4x4@16x16'];
    const r = await runBench(device, { workloads: [WORKLOADS.tiny], strategies: ['full', 'regular', 'randomized'], warmup: 1, steps: 3, sweepVariants, tfjs: { tf, backends: ['wasm'], maxSeconds: 5 } }, 'test');
    const w = r.results[0];
    expect(w.unsupported).toBeUndefined();
    expect(w.ours.map((o) => o.strategy)).toEqual(['full', 'regular(τ=1)', 'randomized(π=0.2)']);
    for (const o of w.ours) {
      expect(o.ms.n).toBe(3);
      expect(o.ms.min).toBeGreaterThan(0);
      expect(o.ms.min).toBeLessThanOrEqual(o.ms.median);
      expect(o.ms.median).toBeLessThanOrEqual(o.ms.max);
      expect(o.gflops).toBeGreaterThan(0);
      expect(Number.isFinite(o.finalLoss)).toBe(true);
    }
    expect(w.phases.map((p) => p.phase)).toEqual(['input', 'forward', 'output', 'backward', 'weight-grads', 'clip']);
    // the per-device choice was made: rows of the recurrences, a matmul variant per tuned shape
    expect([1, 2]).toContain(w.tuning.rows!.best); // B = 2: rows 4 does not apply
    expect(Object.keys(w.tuning.rows!.ms).map(Number).sort()).toEqual([1, 2]);
    for (const t of w.tuning.matmul) expect(MATMUL_VARIANTS).toContain(t.best);
    // the sweep: the step's four GEMM shapes and the recurrence's (B×H)·(H×H), every variant within 1e-4 of float64
    const tiny = WORKLOADS.tiny, R = tiny.B * tiny.T;
    expect(w.sweep.map((s) => [s.shape.M, s.shape.N, s.shape.K])).toEqual([[16, 16, R], [R, 8, 16], [8, 16, R], [R, 16, 8], [2, 16, 16]]);
    for (const s of w.sweep) {
      // the vec4 ones only where the layout has them: vB without Bᵀ, vA with Aᵀ
      const want = sweepVariants.filter((v) => (!v.includes('-vB') || !s.shape.transB) && (!v.includes('-vA') || !!s.shape.transA));
      expect(s.entries.map((e) => e.variant).sort()).toEqual(want.sort());
      for (const e of s.entries) expect(e.error).toBeLessThan(1e-4);
      expect(s.best.gflops).toBe(Math.max(...s.entries.map((e) => e.gflops)));
    }
    // each GEMM of the step against the ceiling at its own shape
    expect(w.gemms.map((g) => g.name)).toEqual(['dW_hh (layer 0)', 'O = H W_qhᵀ', 'dW_qh = dOᵀ H', 'dH = dO W_qh']);
    for (const g of w.gemms) {
      expect(MATMUL_VARIANTS).toContain(g.variant);
      expect(g.gflops).toBeGreaterThan(0);
      expect(g.ceilingGflops).toBeGreaterThan(0);
    }
    expect(w.ceilingMs).toBeGreaterThan(0);
    expect(w.peers[0].backend).toBe('wasm');
    expect(w.peers[0].trusted).toBe(true); // its first loss ≈ ln V, as ours
    expect(w.peers[0].kernelsPerStep).toBeGreaterThan(tiny.T); // several kernels per time step
    expect(w.peers[0].matmulGflops).toBeGreaterThan(0);
    r.commit = 'abc123';
    const md = toMarkdown(r);
    expect(md).toContain('from commit `abc123`');
    expect(md).toMatch(/\| webgpu-bptt full \| [\d.]+ \[[\d.]+–[\d.]+\] \|/); // median [min–max]
    expect(md).toMatch(/\| TF\.js wasm full/);
    expect(md).toMatch(/\| dW_hh \(layer 0\) \(weight-grads\) \| 16×16×8 Aᵀ \| ×1 \|/);
    expect(md).toContain('Chosen on this device: rows = ');
    expect(md).toContain('kernels it launches per step');
    expect(spliceLatest('# B\n', md)).toContain('<!-- latest-run:begin -->');
    expect(spliceLatest(spliceLatest('# B\n', 'one'), 'two')).not.toContain('one');
  });

  it('an LSTM workload runs, or is reported as not supported by the engine', async () => {
    const device = await gpu();
    const r = await runBench(device, { workloads: [{ ...WORKLOADS.tiny, name: 'tiny-lstm', cell: 'lstm' }], strategies: ['full'], warmup: 0, steps: 1, noSweep: true }, 'test');
    const w = r.results[0];
    if (w.unsupported) {
      expect(w.ours).toEqual([]);
      expect(toMarkdown(r)).toContain('Our engine does not run this workload');
    } else {
      expect(w.ours[0].ms.median).toBeGreaterThan(0);
      expect(Number.isFinite(w.ours[0].finalLoss)).toBe(true);
    }
  });

  it('no per-step allocation: buffer count and bytes constant over 1,000 steps', async () => {
    const device = await gpu();
    const before = liveMemory(device);
    const tr = new Trainer(device, { config: charLmConfig(6, 8), batch: 2, steps: 3, truncation: regular(2), optimizer: { kind: 'adam', lr: 0.01 } });
    const held = liveMemory(device);
    const rng = createRng(4);
    const batch = () => ({ tokens: Array.from({ length: 6 }, () => rng.int(6)), targets: Array.from({ length: 6 }, () => rng.int(6)) });
    let maxBuffers = 0;
    for (let i = 0; i < 1000; i++) {
      await tr.step(batch());
      maxBuffers = Math.max(maxBuffers, liveMemory(device).buffers);
    }
    const last = await tr.flush();
    expect(last!.step).toBe(1000);
    expect(maxBuffers).toBe(held.buffers);
    expect(liveMemory(device)).toEqual(held);
    tr.destroy();
    expect(liveMemory(device)).toEqual(before);
  });
});
