// Property tests: random small configurations, the GPU step against the
// float64 reference; a seeded run reproduces bit for bit on the same device.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { runEngineStep } from './harness';
import { BpttEngine } from '../src/engine/bptt';
import { Trainer } from '../src/engine/trainer';
import { full, regular, randomized } from '../src/engine/truncation';
import { initWeights, paramShapes } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward } from '../src/reference/rnn64';

describe('property: random configurations agree with float64', () => {
  it('gradients within 1e-4 for any small shape, activation, bias, input, loss and strategy', async () => {
    const device = await gpu();
    const arb = fc.record({
      V: fc.integer({ min: 2, max: 9 }),
      H: fc.integer({ min: 1, max: 20 }),
      B: fc.integer({ min: 1, max: 5 }),
      T: fc.integer({ min: 1, max: 7 }),
      activation: fc.constantFrom('tanh' as const, 'identity' as const, 'relu' as const),
      bias: fc.boolean(),
      dense: fc.boolean(),
      strategy: fc.constantFrom('full', 'regular', 'randomized'),
      seed: fc.integer({ min: 0, max: 1e6 }),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (p) => {
        const c = makeConfig({ input: p.dense ? 'dense' : 'tokens', inputSize: p.V, outputSize: p.dense ? Math.max(1, p.V - 1) : p.V, loss: p.dense ? 'mse' : 'softmax-xent', hidden: p.H, activation: p.activation, bias: p.bias });
        const w = initWeights(c, createRng(p.seed));
        const batch = makeBatch(c, p.B, p.T, p.seed + 1);
        const s = p.strategy === 'regular' ? regular(Math.max(1, Math.ceil(p.T / 2))) : p.strategy === 'randomized' ? randomized(0.5) : full();
        const xi = s.multipliers(p.T, createRng(p.seed + 2));
        const eng = new BpttEngine(device, { config: c, batch: p.B, steps: p.T });
        try {
          runEngineStep(eng, w, batch, xi);
          const g = await eng.readGradients();
          const ref = referenceForwardBackward(c, w, batch, { xi });
          for (const [name] of paramShapes(c)) {
            const scale = Math.max(...Array.from(ref.grads[name]!, Math.abs));
            if (scale < 1e-6) continue; // a gradient that is ~0 (e.g. relu all off) has no relative error to speak of
            expect(relErr(g[name]!, ref.grads[name]!), `${JSON.stringify(p)} ${name}`).toBeLessThan(1e-4);
          }
          runs++;
        } finally {
          eng.destroy();
        }
      }),
      { numRuns: 25, seed: 20261127 },
    );
    console.log(`property: ${runs} random configurations checked`);
  });
});

describe('reproducibility', () => {
  it('a seeded run (randomized truncation, Adam) is bit-identical when repeated', async () => {
    const device = await gpu();
    const c = makeConfig({ hidden: 11 });
    const run = async () => {
      const tr = new Trainer(device, { config: c, batch: 3, steps: 6, truncation: randomized(0.4), optimizer: { kind: 'adam', lr: 0.01 }, seed: 42 });
      const losses: number[] = [];
      for (let i = 0; i < 8; i++) losses.push((await (await tr.step(makeBatch(c, 3, 6, 100 + i))).stats).loss);
      const w = await tr.engine.readFlatParams();
      tr.destroy();
      return { losses, w };
    };
    const a = await run(), b = await run();
    expect(b.losses).toEqual(a.losses);
    expect(Buffer.from(b.w.buffer).equals(Buffer.from(a.w.buffer))).toBe(true);
  });
});
