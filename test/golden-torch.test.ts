// The float64 reference for cells, layers and truncations against PyTorch's
// own output: state dicts and gradients written by scripts/golden/make_golden.py
// (nn.RNN / nn.LSTM / nn.GRU, 2 layers, + nn.Linear) into test/golden/. The
// truncated gradients there come from PyTorch's autograd with detach() and a
// gradient-scaling function, one loss at a time: an independent check of
// referenceCells' TBPTT(k1, k2) and ξ. No Python runs here.
import { describe, it, expect } from 'vitest';
import { loadGolden, torchKey } from './golden';
import { paramShapes } from '../src/model/params';
import { referenceCells, type CellsOptions } from '../src/reference/cells64';

/** max |a − b| / max |b| over one tensor. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den > 0 ? num / den : num;
}

describe('referenceCells against PyTorch (test/golden, written by scripts/golden/make_golden.py)', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const { golden, config, weights } = loadGolden(cell);
    const { B, T } = golden;
    const batch = { B, T, tokens: golden.tokens.flat(), targets: golden.targets.flat() }; // [T][B] → row t·B + b
    const states: CellsOptions = { h0: golden.h0.map((l) => l.flat()), ...(golden.c0 ? { c0: golden.c0.map((l) => l.flat()) } : {}) };

    it(`${cell}: PyTorch's state dict loads and reproduces its loss and final state`, () => {
      expect(config.cell).toBe(cell);
      const r = referenceCells(config, weights, batch, states);
      const f64 = Math.abs(r.loss - golden.loss_float64) / golden.loss_float64;
      const f32 = Math.abs(r.loss - golden.loss_float32) / golden.loss_float32;
      console.log(`${cell}: loss ${r.loss} vs PyTorch float64 ${golden.loss_float64} (rel ${f64.toExponential(2)}), float32 ${golden.loss_float32} (rel ${f32.toExponential(2)})`);
      expect(f64).toBeLessThan(1e-12);
      expect(f32).toBeLessThan(1e-6);
      r.hLast.forEach((h, l) => expect(relErr(h, golden.h_last[l].flat())).toBeLessThan(1e-12));
      if (golden.c_last) r.cLast!.forEach((c, l) => expect(relErr(c, golden.c_last![l].flat())).toBeLessThan(1e-12));
    });

    for (const run of golden.runs) {
      it(`${cell}: ${run.name} gradients equal PyTorch's`, () => {
        const r = referenceCells(config, weights, batch, { ...states, tbptt: run.tbptt, xi: run.xi });
        expect(Object.keys(r.grads).map(torchKey).sort()).toEqual(Object.keys(run.grads).sort());
        let worst = 0;
        for (const [name] of paramShapes(config)) worst = Math.max(worst, relErr(r.grads[name], run.grads[torchKey(name)]));
        // the truncation is exercised: the truncated gradient is not the full one
        const fullRun = golden.runs[0];
        let apart = 0;
        if (run !== fullRun) for (const [name] of paramShapes(config)) apart = Math.max(apart, relErr(run.grads[torchKey(name)], fullRun.grads[torchKey(name)]));
        console.log(`${cell} ${run.name}: max rel error vs PyTorch ${worst.toExponential(2)}${run === fullRun ? '' : ` (differs from full BPTT by ${apart.toExponential(2)})`}`);
        expect(worst).toBeLessThan(1e-9);
        if (run !== fullRun) expect(apart).toBeGreaterThan(1e-3);
      });
    }
  }
});
