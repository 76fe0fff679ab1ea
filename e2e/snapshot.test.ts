// Trainer.snapshot() in headless Chromium while text generations from the
// trainer's params are in flight (the demo's Step → sample → Download
// checkpoint / ONNX), checked against the weights read once everything has
// settled, against the checkpoint bytes made from it, and against a float64
// Adam step.
import { describe, it, expect } from 'vitest';
import { fileSession, pageResult } from './harness';
import { referenceForwardBackward, toFloat64, paramShapes, charLmConfig, loadCheckpoint, type Weights } from '../src/index';
import { clipUpdate64 } from '../src/reference/kernels64';

const session = fileSession();

type Plain = Record<string, number[]>;
interface Trial {
  inflight: boolean; calls: number; optimizerStep: number; lossesFinite: boolean;
  duringCall: number; duringRead: number; texts: number;
  snap: Plain; settled: Plain; checkpoint: number[];
}
interface Result {
  failure?: string; adapter: string; errors: string[]; V: number; H: number; B: number; T: number; lr: number;
  weights: Plain; batch: { tokens: number[]; targets: number[] }; trials: Trial[];
}

/** Entries of `a` that are not finite, and entries that differ from `b` (bit for bit, but 0 = −0). */
function compare(a: Plain, b: Record<string, ArrayLike<number>>) {
  let nonfinite = 0, differ = 0, first = '';
  for (const [name, v] of Object.entries(a)) {
    v.forEach((x, i) => {
      if (!Number.isFinite(x)) nonfinite++;
      if (x !== b[name][i]) {
        differ++;
        first ||= `${name}[${i}] = ${x}, expected ${b[name][i]}`;
      }
    });
  }
  return { nonfinite, differ, first };
}

describe('headless Chromium', () => {
  it('a snapshot taken while generations from the same params run is finite and equals the settled weights, its checkpoint bytes and a float64 Adam step', async () => {
    const { r, errors } = await pageResult<Result>(session(), '/e2e/pages/snapshot.html', 240_000);
    expect(r.failure, r.failure).toBeUndefined();
    console.log(`browser adapter: ${r.adapter}`);
    expect(r.errors, r.errors.join('\n')).toEqual([]);
    expect(errors).toEqual([]);
    expect(r.trials.map((t) => t.inflight)).toEqual([false, true]);
    for (const t of r.trials) {
      const label = t.inflight ? 'a step in flight' : 'steps flushed';
      // the snapshot was asked for while generations were running (their count at the call and when it resolved)
      expect(t.duringCall, label).toBeGreaterThan(0);
      expect(t.texts).toBe(2);
      expect(t.calls).toBe(t.inflight ? 2 : 1);
      expect(t.optimizerStep).toBe(t.calls);
      expect(t.lossesFinite).toBe(true);
      const vsSettled = compare(t.snap, t.settled);
      // the checkpoint bytes, decoded from a Uint8Array that owns its memory (see the report on Node Buffers)
      const saved = loadCheckpoint(Uint8Array.from(t.checkpoint));
      const vsBytes = compare(t.snap, saved.weights as Weights);
      console.log(`chromium snapshot (${label}; generations running: ${t.duringCall} at the call, ${t.duringRead} when it resolved): nonfinite ${vsSettled.nonfinite}, differ from settled ${vsSettled.differ}, from its checkpoint bytes ${vsBytes.differ}`);
      expect(vsSettled.nonfinite, vsSettled.first).toBe(0);
      expect(vsSettled.differ, vsSettled.first).toBe(0);
      expect(vsBytes.differ, vsBytes.first).toBe(0);
      expect(saved.step).toBe(t.calls);
    }
    // the one-step snapshot against float64: reset state, full BPTT, clip 1, Adam lr 0.02
    const config = charLmConfig(r.V, r.H);
    const names = paramShapes(config).map(([n]) => n);
    const w = Object.fromEntries(Object.entries(r.weights).map(([k, v]) => [k, Float32Array.from(v)])) as Weights;
    const ref = referenceForwardBackward(config, w, { B: r.B, T: r.T, tokens: r.batch.tokens, targets: r.batch.targets });
    const w64 = toFloat64(config, w);
    const P = Float64Array.from(names.flatMap((n) => Array.from(w64[n]!)));
    const before = P.slice();
    const G = names.flatMap((n) => Array.from(ref.grads[n]!));
    const u = clipUpdate64(P, G, ref.loss, { s1: new Float64Array(P.length), s2: new Float64Array(P.length), step: 0 }, { kind: 'adam', lr: r.lr, clip: 1 });
    expect(u.skipped).toBe(false);
    const got = names.flatMap((n) => r.trials[0].snap[n]);
    let num = 0, den = 0;
    got.forEach((v, i) => {
      num = Math.max(num, Math.abs(v - before[i] - (P[i] - before[i])));
      den = Math.max(den, Math.abs(P[i] - before[i]));
    });
    console.log(`chromium snapshot vs float64 Adam step: update rel error ${(num / den).toExponential(2)} (largest update ${den.toExponential(2)})`);
    expect(num / den).toBeLessThan(1e-4);
  }, 300_000);
});
