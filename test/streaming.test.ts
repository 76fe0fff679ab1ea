// Streaming TBPTT(k1, k2) against the chapter's float64 reference: the second
// call's window is the k2 − k1 kept steps plus k1 new ones, starts from the
// state after the first k1 steps of the first window, and counts only the new
// steps' losses (built from rnn64 as a difference of two runs: the gradient
// is linear in the losses).
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { StreamingTbptt } from '../src/engine/streaming';
import { initWeights, paramShapes } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward, type Batch } from '../src/reference/rnn64';

const slice = (b: Batch, t0: number, t1: number): Batch => ({
  B: b.B,
  T: t1 - t0,
  tokens: Array.from(b.tokens!).slice(t0 * b.B, t1 * b.B),
  targets: Array.from(b.targets!).slice(t0 * b.B, t1 * b.B),
});

describe('streaming TBPTT(k1, k2)', () => {
  for (const [k1, k2] of [[2, 5], [1, 3], [3, 4]]) {
    it(`k1 = ${k1}, k2 = ${k2}: the second call's loss and gradients match float64`, async () => {
      const device = await gpu();
      const c = makeConfig({ hidden: 8 });
      const w = initWeights(c, createRng(5));
      const B = 2, stream = makeBatch(c, B, k2 + k1, 6);
      // lr 0: the weights stay put, so both windows see the same ones
      const s = new StreamingTbptt(device, { config: c, batch: B, k1, k2, weights: w, optimizer: { kind: 'sgd', lr: 0 }, clip: null });
      try {
        await s.step(slice(stream, 0, k2));
        const h = await s.step(slice(stream, k2, k2 + k1));
        const stats = await h.stats;
        const grads = await s.trainer.engine.readGradients();
        // the window [k1, k2 + k1) starts from the state after the first k1 steps
        const h0 = referenceForwardBackward(c, w, slice(stream, 0, k1)).h.slice(k1 * B * c.hidden);
        const win = slice(stream, k1, k2 + k1), scale = 1 / (B * k1), keep = k2 - k1;
        const all = referenceForwardBackward(c, w, win, { h0, scale });
        const early = keep > 0 ? referenceForwardBackward(c, w, slice(win, 0, keep), { h0, scale }) : null;
        expect(Math.abs(stats.loss - (all.loss - (early?.loss ?? 0)))).toBeLessThan(1e-5);
        for (const [n] of paramShapes(c)) {
          const want = all.grads[n].map((v, i) => v - (early ? early.grads[n][i] : 0));
          expect(relErr(grads[n], want), n).toBeLessThan(1e-5);
        }
      } finally {
        s.destroy();
      }
    });
  }

  it('refuses wrong step counts and k2 ≤ k1 before any GPU work', async () => {
    const device = await gpu();
    const c = makeConfig({});
    expect(() => new StreamingTbptt(device, { config: c, batch: 2, k1: 3, k2: 2 })).toThrow(/k2 = 2: must be ≥ k1 = 3/);
    expect(() => new StreamingTbptt(device, { config: c, batch: 2, k1: 3, k2: 3 })).toThrow(/k2 = 3: equals k1/);
    const s = new StreamingTbptt(device, { config: c, batch: 2, k1: 2, k2: 4 });
    try {
      const b = makeBatch(c, 2, 2, 1);
      await expect(s.step(b)).rejects.toThrow(/tokens = length 4: must hold k2 = 4 steps/);
    } finally {
      s.destroy();
    }
  });
});
