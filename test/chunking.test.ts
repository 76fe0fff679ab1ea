// Long windows in chunks: forward checkpoints at chunk boundaries, the
// backward recomputing each chunk and carrying ∂L/∂h across boundaries. The
// gradients must be the whole window's, for every strategy.
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { BpttEngine, chooseChunk, estimateBytes } from '../src/engine/bptt';
import { Trainer } from '../src/engine/trainer';
import { full, regular, randomized } from '../src/engine/truncation';
import { initWeights, paramShapes, type Weights } from '../src/model/params';
import type { RnnConfig } from '../src/model/config';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward, type Batch } from '../src/reference/rnn64';

async function grads(c: RnnConfig, w: Weights, batch: Batch, xi: Float32Array, h0: number[], chunk?: number) {
  const device = await gpu();
  const eng = new BpttEngine(device, { config: c, batch: batch.B, steps: batch.T, chunk });
  try {
    eng.writeWeights(w);
    eng.writeBatch(batch);
    eng.writeXi(xi);
    eng.writeH0(h0);
    eng.run({ diagnostics: true });
    return { chunks: eng.chunks, g: await eng.readGradients(), loss: await eng.readLoss(), last: await eng.readLastState(), diag: await eng.readDiagnostics(), dh0: await eng.readDh0() };
  } finally {
    eng.destroy();
  }
}

describe('chunked windows (T = 11 in chunks of 4, 4, 3)', () => {
  const cases: [string, Partial<RnnConfig>][] = [
    ['tokens tanh bias', {}],
    ['identity without bias (the chapter)', { activation: 'identity', bias: false }],
    ['dense relu mse', { input: 'dense', inputSize: 3, outputSize: 2, loss: 'mse', activation: 'relu' }],
  ];
  for (const [name, partial] of cases) {
    for (const [sname, strategy] of [['full', full()], ['regular(3)', regular(3)], ['randomized(0.5)', randomized(0.5)]] as const) {
      it(`${name}, ${sname}: gradients, loss, final state and ‖∂L/∂h_t‖ of the whole window`, async () => {
        const c = makeConfig({ hidden: 9, ...partial });
        const B = 2, T = 11;
        const w = initWeights(c, createRng(5));
        const batch = makeBatch(c, B, T, 6);
        const xi = strategy.multipliers(T, createRng(7));
        xi[0] = 1; // so that ∂L/∂h0 is compared too
        const h0 = Array.from({ length: B * c.hidden }, (_, i) => 0.4 * Math.sin(i + 1));
        const got = await grads(c, w, batch, xi, h0, 4);
        expect(got.chunks).toBe(3);
        const ref = referenceForwardBackward(c, w, batch, { xi, h0 });
        const errs = paramShapes(c).map(([n]) => [n, relErr(got.g[n]!, ref.grads[n]!)] as const);
        console.log(`chunked ${name} ${sname}: ${errs.map(([n, e]) => `${n} ${e.toExponential(1)}`).join(' ')}`);
        for (const [, e] of errs) expect(e).toBeLessThan(1e-4);
        expect(Math.abs(got.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
        expect(relErr(got.last, ref.h.subarray(T * B * c.hidden))).toBeLessThan(1e-5);
        expect(relErr(got.diag.dhNorms, ref.dhNorms)).toBeLessThan(1e-5);
        expect(relErr(got.dh0, ref.dh0)).toBeLessThan(1e-4);
      });
    }
  }

  it('chunked and unchunked engines agree', async () => {
    const c = makeConfig({ hidden: 12 });
    const B = 3, T = 10;
    const w = initWeights(c, createRng(8));
    const batch = makeBatch(c, B, T, 9);
    const xi = full().multipliers(T);
    const h0 = new Array(B * 12).fill(0.1);
    const one = await grads(c, w, batch, xi, h0);
    const many = await grads(c, w, batch, xi, h0, 3);
    expect(one.chunks).toBe(1);
    expect(many.chunks).toBe(4);
    for (const [n] of paramShapes(c)) expect(relErr(many.g[n]!, one.g[n]!)).toBeLessThan(1e-5);
  });

  it('a trainer on chunks: two steps with carried state match the reference, and memory is smaller', async () => {
    const device = await gpu();
    const c = makeConfig({ hidden: 10 });
    const B = 2, T = 9;
    const w0 = initWeights(c, createRng(41));
    const tr = new Trainer(device, { config: c, batch: B, steps: T, chunk: 2, weights: w0, optimizer: { kind: 'sgd', lr: 0.5 }, clip: null, truncation: regular(4) });
    expect(tr.engine.chunks).toBe(5);
    let w = w0, h0: number[] | undefined;
    for (let s = 0; s < 2; s++) {
      const batch = makeBatch(c, B, T, 60 + s);
      const h = await tr.step({ ...batch, state: 'carry' }); // one contiguous stream: the state carried by name
      const stats = await h.stats;
      const ref = referenceForwardBackward(c, w, batch, { xi: h.xi, h0 });
      expect(Math.abs(stats.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
      const got = await tr.weights();
      for (const [n] of paramShapes(c)) {
        const want = Float64Array.from(w[n]!, (v, i) => v - 0.5 * ref.grads[n]![i]);
        expect(relErr(Float64Array.from(got[n]!, (v, i) => v - w[n]![i]), want.map((v, i) => v - w[n]![i]))).toBeLessThan(1e-4);
      }
      h0 = Array.from(ref.h.subarray(T * B * c.hidden));
      w = got;
    }
    tr.destroy();
    expect(estimateBytes({ config: c, batch: B, steps: T, chunk: 2 })).toBeLessThan(estimateBytes({ config: c, batch: B, steps: T }));
  });

  it('chooseChunk: the most steps whose buffers fit the limits', () => {
    const c = makeConfig({ hidden: 1024, inputSize: 28, outputSize: 28 });
    const limits = { maxBufferSize: 2 ** 28, maxStorageBufferBindingSize: 2 ** 27, maxComputeWorkgroupsPerDimension: 65535 };
    // 128 MiB / (B·H·4 = 256 KiB per step) = 512 steps, minus one for hs's extra state
    expect(chooseChunk(c, 64, 4096, limits)).toBe(511);
    expect(chooseChunk(c, 64, 100, limits)).toBe(100);
    expect(() => chooseChunk(c, 64 * 1024, 10, limits)).toThrow(/buffer zx0 = 268435456 bytes per step: exceeds this device's limit of 134217728 bytes even for one step/);
  });
});
