// The diagnostics the demo draws: ‖∂L/∂h_t‖ per step against the float64
// reference, and ρ(W_hh) by power iteration against matrices whose spectral
// radius is known.
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { BpttEngine } from '../src/engine/bptt';
import { Trainer } from '../src/engine/trainer';
import { initWeights } from '../src/model/params';
import { regular } from '../src/engine/truncation';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward } from '../src/reference/rnn64';

describe('diagnostics', () => {
  it('‖∂L/∂h_t‖ per step matches float64 (regular truncation: the norms reset at each window)', async () => {
    const device = await gpu();
    const c = makeConfig({ hidden: 12 });
    const B = 3, T = 9;
    const w = initWeights(c, createRng(7));
    const batch = makeBatch(c, B, T, 8);
    const xi = regular(4).multipliers(T);
    const eng = new BpttEngine(device, { config: c, batch: B, steps: T });
    eng.writeWeights(w);
    eng.writeBatch(batch);
    eng.writeXi(xi);
    eng.writeH0();
    eng.run();
    const d = await eng.readDiagnostics();
    const ref = referenceForwardBackward(c, w, batch, { xi });
    const e = relErr(d.dhNorms, ref.dhNorms);
    console.log(`‖∂L/∂h_t‖: max rel error ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-5);
    eng.destroy();
  });

  for (const [name, H, fill, rho] of [
    ['diagonal, ρ = 1.3', 6, (W: Float32Array) => [0.5, -1.3, 0.9, 0.2, -0.7, 1.0].forEach((v, i) => (W[i * 6 + i] = v)), 1.3],
    ['rotation-scaling blocks (complex pair), ρ = 0.8', 4, (W: Float32Array) => {
      const set = (o: number, a: number, b: number) => { W[o * 4 + o] = a; W[o * 4 + o + 1] = -b; W[(o + 1) * 4 + o] = b; W[(o + 1) * 4 + o + 1] = a; };
      set(0, 0.48, 0.64); // |λ| = 0.8
      set(2, 0.3, 0.2); // |λ| ≈ 0.36
    }, 0.8],
  ] as const) {
    it(`spectral radius by power iteration: ${name}`, async () => {
      const device = await gpu();
      const c = makeConfig({ hidden: H });
      const w = initWeights(c, createRng(1));
      w.W_hh.fill(0);
      fill(w.W_hh);
      const eng = new BpttEngine(device, { config: c, batch: 1, steps: 2 });
      eng.writeWeights(w);
      const d = await eng.readDiagnostics();
      console.log(`${name}: ρ estimate ${d.spectralRadius.toFixed(5)}`);
      expect(Math.abs(d.spectralRadius - rho) / rho).toBeLessThan(1e-3);
      eng.destroy();
    });
  }

  it('the trainer returns diagnostics for a step when asked, computed before the update', async () => {
    const device = await gpu();
    const c = makeConfig({ hidden: 8 });
    const w = initWeights(c, createRng(3));
    const tr = new Trainer(device, { config: c, batch: 2, steps: 5, weights: w });
    const batch = makeBatch(c, 2, 5, 4);
    const h = await tr.step({ ...batch, diagnostics: true });
    const d = await h.diagnostics!;
    const ref = referenceForwardBackward(c, w, batch);
    expect(relErr(d.dhNorms, ref.dhNorms)).toBeLessThan(1e-5);
    expect(d.spectralRadius).toBeGreaterThan(0);
    const plain = await tr.step(batch);
    expect(plain.diagnostics).toBeUndefined();
    tr.destroy();
  });
});
