import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { BpttEngine } from '../src/engine/bptt';
import { validateConfig, type RnnConfig } from '../src/model/config';
import { initWeights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward } from '../src/reference/rnn64';

function randomBatch(c: RnnConfig, B: number, T: number, seed: number) {
  const rng = createRng(seed);
  const R = B * T;
  if (c.input === 'tokens') {
    return {
      tokens: Array.from({ length: R }, () => rng.int(c.inputSize)),
      targets: Array.from({ length: R }, () => rng.int(c.outputSize)),
    };
  }
  return {
    x: Array.from({ length: R * c.inputSize }, () => rng.normal()),
    y: Array.from({ length: R * c.outputSize }, () => rng.normal()),
  };
}

describe('engine forward + backward vs float64 reference', () => {
  it('tokens, tanh, bias, full', async () => {
    const device = await gpu();
    const c = validateConfig({ input: 'tokens', inputSize: 7, hidden: 13, outputSize: 7, activation: 'tanh', bias: true, loss: 'softmax-xent' });
    const B = 3, T = 5;
    const w = initWeights(c, createRng(1));
    const batch = randomBatch(c, B, T, 2);
    const eng = new BpttEngine(device, { config: c, batch: B, steps: T });
    eng.writeWeights(w);
    eng.writeBatch(batch);
    eng.writeXi(new Float32Array(T).fill(1));
    eng.writeH0();
    eng.run();
    const g = await eng.readGradients();
    const loss = await eng.readLoss();
    const ref = referenceForwardBackward(c, w, { B, T, ...batch });
    console.log('loss', loss, ref.loss);
    const errs = Object.fromEntries((['W_hx', 'W_hh', 'W_qh', 'b_h', 'b_q'] as const).map((k) => [k, relErr(g[k]!, ref.grads[k]!)]));
    console.log(errs, Array.from(g.W_hx.slice(0, 8)), Array.from(ref.grads.W_hx.slice(0, 8)));
    for (const e of Object.values(errs)) expect(e).toBeLessThan(1e-4);
    expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
    eng.destroy();
  });
});
