// The split recurrence (src/kernels/split.ts: one dispatch per step, the
// hidden units and sequences over many workgroups): what only it has here —
// its refusals of a missing cell buffer, a bad step range and short buffers,
// and its workgroup grid (splitWorkgroups); whole training steps of engines
// that choose it (every cell, 2 layers, padded sequences, loss weights, a
// cut in ξ, chunks) against the float64 reference; the tuner timing it
// beside the sequence kernels. Its kernels against the float64 functions
// run beside the sequence kernels', case for case, from the shared tables
// of test/recurrence-fixtures.ts (tests named `split …`): rnn in
// test/kernels.test.ts; LSTM, GRU, and ξ = 0 cutting a non-finite gradient
// for every cell, in test/cell-kernels.test.ts.
import { describe, it, expect } from 'vitest';
import { kernelHarness, report as reportError, gpu, engineStepErr } from './harness';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';
import { createSplitForward, createSplitBackward, splitWorkgroups } from '../src/kernels/split';
import { referenceCells } from '../src/reference/cells64';
import { BpttEngine } from '../src/engine/bptt';
import { tuneRecurrenceRows } from '../src/engine/tune-step';
import { initWeights } from '../src/model/params';
import { validateConfig, type CellKind } from '../src/model/config';
import type { Batch } from '../src/reference/rnn64';

const report = (name: string, err: number, tol: number) => reportError(name, err, tol, 56);
/** The worst error of this file's checks (the engines'), printed after the tuner's test. */
let worst = 0;
const check = (name: string, err: number, tol = 1e-5) => {
  worst = Math.max(worst, err);
  report(name, err, tol);
};

describe('split kernels: options and dims', () => {
  it('refuse a missing cell buffer, a bad step range, short buffers; spread a step over H/32 × B/4 workgroups', async () => {
    const { device, up } = await kernelHarness();
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BpttError);
        return (e as BpttError).field;
      }
      return null;
    };
    const buf = (n: number) => up(new Float32Array(n));
    const H = 3, B = 2, T = 2;
    const lf = createSplitForward(device, { cell: 'lstm', hidden: H });
    const lb = { weightsT: buf(4 * H * H), params: buf(4), zx: buf(T * B * 4 * H), hs: buf((T + 1) * B * H), gates: buf(T * B * 4 * H) };
    expect(field(() => lf.bind(lb, { B, t0: 0, t1: T }))).toBe('split_forward.cs');
    expect(field(() => lf.bind({ ...lb, cs: buf((T + 1) * B * H) }, { B, t0: 2, t1: 1 }))).toBe('split_forward.t1');
    expect(field(() => lf.bind({ ...lb, cs: buf((T + 1) * B * H) }, { B, t0: 0, t1: T + 1 }))).toBe('split_forward.zx');
    expect(field(() => createSplitBackward(device, { cell: 'gru', hidden: 0 }))).toBe('split_backward.hidden');
    expect(splitWorkgroups(256, 32)).toEqual([8, 8, 1]);
    expect(splitWorkgroups(1024, 64)).toEqual([32, 16, 1]);
  });
});

// ---------------------------------------------------------------------------
// Whole training steps: engines built with recurrence 'split' against the
// float64 reference (every cell, 2 layers, dense inputs with MSE, padded
// sequences, loss weights; a truncation ξ with a cut; a chunked window).

describe("whole training steps with recurrence: 'split'", () => {
  const CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];
  for (const cell of CELLS) {
    it(`${cell} × 2 layers: lengths, loss weights, a cut in ξ, chunks of 2`, async () => {
      const device = await gpu();
      const c = validateConfig({ cell, layers: 2, input: 'dense', inputSize: 3, hidden: 5, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' });
      const w = initWeights(c, createRng(11));
      const B = 5, T = 5, lengths = [5, 3, 1, 4, 2];
      const r = createRng(12);
      const batch: Batch = { B, T, x: Array.from({ length: T * B * 3 }, () => 2 * r.next() - 1), y: Array.from({ length: T * B * 2 }, () => 2 * r.next() - 1) };
      const lossWeights = Array.from({ length: T * B }, (_, i) => 1 + (i % 3));
      const xi = Float32Array.from([1, 1, 0, 1, 1]);
      const ref = referenceCells(c, w, batch, { lengths, lossWeights, xi: Array.from(xi) });
      for (const chunk of [undefined, 2]) {
        const eng = new BpttEngine(device, { config: c, batch: B, steps: T, recurrence: 'split', chunk });
        try {
          const e = await engineStepErr(eng, w, { x: batch.x, y: batch.y, lengths, lossWeights }, xi, ref);
          check(`split engine ${cell} × 2${chunk ? ', chunks of 2' : ''}: loss, gradients, last state`, e, 1e-5);
        } finally {
          eng.destroy();
        }
      }
    });
  }

  it('the tuner times split beside rows 1, 2, 4 and names the faster recurrence', async () => {
    const device = await gpu();
    const config = validateConfig({ cell: 'rnn', layers: 1, input: 'tokens', inputSize: 6, hidden: 8, outputSize: 6, activation: 'tanh', bias: true, loss: 'softmax-xent' });
    const t = await tuneRecurrenceRows(device, config, 4, 3, 1);
    expect(Object.keys(t.ms).map(Number).sort()).toEqual([1, 2, 4]);
    expect(t.split).toBeGreaterThan(0);
    expect(t.recurrence).toBe(t.split! < t.ms[t.best] ? 'split' : 'sequence');
    console.log(`split recurrence: worst relative error over every check ${worst.toExponential(2)}`);
  });
});
