// The training step in real headless Chromium (navigator.gpu), checked
// against the float64 reference computed here in Node.
import { describe, it, expect } from 'vitest';
import { fileSession, pageResult, relErr } from './harness';
import { problem } from './pages/problem';
import { referenceForwardBackward, toFloat64, paramShapes } from '../src/index';
import { clipUpdate64 } from '../src/reference/kernels64';

const session = fileSession();

describe('headless Chromium', () => {
  it('gradients for each strategy and a full training step match float64', async () => {
    const { r, errors } = await pageResult<{
      failure?: string; adapter: string; errors: string[];
      grads: Record<string, Record<string, number[]>>; xis: Record<string, number[]>;
      step: { stats: { loss: number; gradNorm: number; skipped: boolean }; after: Record<string, number[]> };
    }>(session(), '/e2e/pages/step.html', 120_000);
    expect(r.failure, r.failure).toBeUndefined();
    console.log(`browser adapter: ${r.adapter}`);
    expect(r.errors, r.errors.join("\n")).toEqual([]);
    expect(errors).toEqual([]);
    const { config, weights, batch, B, T, h0 } = problem();
    for (const [name, g] of Object.entries(r.grads)) {
      const ref = referenceForwardBackward(config, weights, { B, T, ...batch }, { xi: r.xis[name], h0 });
      const line: string[] = [];
      for (const [p] of paramShapes(config)) {
        const e = relErr(g[p], ref.grads[p]!);
        line.push(`${p} ${e.toExponential(1)}`);
        expect(e).toBeLessThan(1e-4);
      }
      console.log(`chromium ${name.padEnd(10)} ${line.join('  ')}`);
    }
    // the training step: reset state (h0 = 0), full BPTT, clip 0.1, SGD lr 0.5
    const ref = referenceForwardBackward(config, weights, { B, T, ...batch });
    const names = paramShapes(config).map(([n]) => n);
    const P = Float64Array.from(names.flatMap((n) => Array.from(toFloat64(config, weights)[n]!)));
    const G = names.flatMap((n) => Array.from(ref.grads[n]!));
    const before = P.slice();
    const u = clipUpdate64(P, G, ref.loss, { s1: new Float64Array(0), s2: new Float64Array(0), step: 0 }, { kind: 'sgd', lr: 0.5, clip: 0.1 });
    expect(r.step.stats.skipped).toBe(false);
    expect(Math.abs(r.step.stats.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
    expect(Math.abs(r.step.stats.gradNorm - u.norm) / u.norm).toBeLessThan(1e-5);
    const got = names.flatMap((n) => r.step.after[n]);
    const e = relErr(got.map((v, i) => v - before[i]), P.map((v, i) => v - before[i]));
    console.log(`chromium training step: loss ${r.step.stats.loss.toFixed(5)}, update rel error ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-4);
  });
});
