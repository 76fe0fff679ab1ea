// The engine on a real WebGPU device against PyTorch's own output: the state
// dicts nn.RNN / nn.LSTM / nn.GRU (2 layers) wrote (test/golden, made by
// scripts/golden/make_golden.py) load and reproduce PyTorch's loss, final
// states and gradients — full BPTT, TBPTT(k1, k2) and ξ (shared and per
// sequence), all of which PyTorch computed with detach() and autograd.
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { loadGolden, torchKey } from './golden';
import { paramShapes } from '../src/model/params';
import { BpttEngine } from '../src/engine/bptt';
import { tbptt, explicit, full, type Truncation } from '../src/engine/truncation';

describe('the GPU engine against PyTorch (test/golden)', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}, 2 layers: loss, final states and every gradient run`, async () => {
      const device = await gpu();
      const { golden, config, weights } = loadGolden(cell);
      const { B, T } = golden;
      const rows: string[] = [];
      // every run but TBPTT combined with ξ, which no truncation strategy offers (the float64 reference checks it)
      for (const run of golden.runs.filter((r) => !(r.tbptt && r.xi))) {
        const t: Truncation = run.tbptt ? tbptt(run.tbptt.k1, run.tbptt.k2) : run.xi ? explicit(run.xi as number[]) : full();
        const plan = t.plan(T, B);
        const eng = new BpttEngine(device, { config, batch: B, steps: T, streams: plan.streams });
        try {
          eng.writeWeights(weights);
          eng.writeBatch({ tokens: golden.tokens.flat(), targets: golden.targets.flat() });
          eng.writeXi(plan);
          eng.writeH0(golden.h0.flat(2), golden.c0?.flat(2));
          eng.run();
          const grads = await eng.readGradients();
          let worst = 0;
          for (const [name] of paramShapes(config)) worst = Math.max(worst, relErr(grads[name], run.grads[torchKey(name)]));
          rows.push(`${run.name} ${worst.toExponential(1)}`);
          expect(worst, run.name).toBeLessThan(1e-4);
          if (run === golden.runs[0]) {
            const loss = await eng.readLoss();
            rows.push(`loss ${loss} vs ${golden.loss_float32}`);
            expect(Math.abs(loss - golden.loss_float32) / golden.loss_float32).toBeLessThan(1e-5);
            expect(relErr(await eng.readLastState(), golden.h_last.flat(2))).toBeLessThan(1e-5);
            if (golden.c_last) expect(relErr(await eng.readLastCell(), golden.c_last.flat(2))).toBeLessThan(1e-5);
          }
        } finally {
          eng.destroy();
        }
      }
      console.log(`${cell} vs PyTorch: ${rows.join(' | ')}`);
    });
  }
});
