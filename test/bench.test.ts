// The benchmark harness runs (tiny workload, TF.js wasm as the peer) and the
// trainer allocates nothing per step. Speed is never asserted here.
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { gpu } from './gpu';
import { runBench } from '../bench/core';
import { WORKLOADS } from '../bench/workloads';
import { toMarkdown, spliceLatest } from '../bench/report';
import { Trainer } from '../src/engine/trainer';
import { charLmConfig } from '../src/model/config';
import { liveMemory } from '../src/gpu/buffers';
import { regular } from '../src/engine/truncation';
import { createRng } from '../src/util/rng';

describe('benchmark harness', () => {
  it('runs on a tiny workload with every strategy and the TF.js wasm peer', async () => {
    const device = await gpu();
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs');
    createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
    const r = await runBench(device, { workloads: [WORKLOADS.tiny], strategies: ['full', 'regular', 'randomized'], warmup: 1, steps: 2, tfjs: { tf, backends: ['wasm'], maxSeconds: 5 } }, 'test');
    const w = r.results[0];
    expect(w.ours.map((o) => o.strategy)).toEqual(['full', 'regular(τ=1)', 'randomized(π=0.2)']);
    for (const o of w.ours) {
      expect(o.msPerStep).toBeGreaterThan(0);
      expect(o.gflops).toBeGreaterThan(0);
      expect(Number.isFinite(o.finalLoss)).toBe(true);
    }
    expect(w.phases.map((p) => p.phase)).toEqual(['input', 'forward', 'output', 'backward', 'weight-grads', 'clip']);
    expect(w.gemm.every((g) => g.gflops > 0)).toBe(true);
    expect(w.peers[0].backend).toBe('wasm');
    expect(w.peers[0].trusted).toBe(true); // its first loss ≈ ln V, as ours
    const md = toMarkdown(r);
    expect(md).toMatch(/\| webgpu-bptt full \|/);
    expect(md).toMatch(/\| TF\.js wasm full/);
    expect(spliceLatest('# B\n', md)).toContain('<!-- latest-run:begin -->');
    expect(spliceLatest(spliceLatest('# B\n', 'one'), 'two')).not.toContain('one');
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
