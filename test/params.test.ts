// Weights come in under the chapter's names (W_hx, W_hh, b_h) or, for a
// one-layer rnn, PyTorch's (nn.RNN's weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0, with b_h = bias_ih_l0 + bias_hh_l0): checkWeights and
// packWeights take both, an engine given PyTorch's names computes what the
// float64 reference computes from the chapter's, and mixed or partial names
// are refused by name.
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { checkWeights, packWeights, paramLayout, initWeights, type Weights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { BpttEngine } from '../src/engine/bptt';
import { referenceForwardBackward } from '../src/reference/rnn64';
import { BpttError } from '../src/errors';

const c = makeConfig({ hidden: 5, inputSize: 4, outputSize: 4 });
const rng = createRng(21);
const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.3);
const H = c.hidden, d = c.inputSize, Q = c.outputSize;
/** nn.RNN(d, H) + nn.Linear(H, Q)'s state dict, as PyTorch names it. */
const torch = { weight_ih_l0: rand(H * d), weight_hh_l0: rand(H * H), bias_ih_l0: rand(H), bias_hh_l0: rand(H), W_qh: rand(Q * H), b_q: rand(Q) };
/** The same model in the chapter's names; b_h summed here in float64. */
const chapter: Weights<Float64Array> = {
  W_hx: Float64Array.from(torch.weight_ih_l0), W_hh: Float64Array.from(torch.weight_hh_l0),
  b_h: Float64Array.from(torch.bias_ih_l0, (x, i) => x + torch.bias_hh_l0[i]),
  W_qh: Float64Array.from(torch.W_qh), b_q: Float64Array.from(torch.b_q),
};

describe('PyTorch names for a one-layer rnn', () => {
  it('checkWeights and packWeights take them; the packed buffer is the chapter-named one', () => {
    const named = checkWeights(c, torch);
    expect(Object.keys(named).sort()).toEqual(['W_hh', 'W_hx', 'W_qh', 'b_h', 'b_q']);
    const L = paramLayout(c);
    const a = packWeights(L, torch), b = packWeights(L, chapter);
    expect(relErr(a, b)).toBeLessThan(1e-7); // b_h: an f32 sum against the float64 one
    expect(Array.from(a.subarray(L.byName.W_hx!.offset, L.byName.W_hx!.offset + H * d))).toEqual(Array.from(torch.weight_ih_l0));
  });

  it('an engine given PyTorch names computes the float64 reference of the chapter-named model', async () => {
    const device = await gpu();
    const batch = makeBatch(c, 2, 3, 4);
    const eng = new BpttEngine(device, { config: c, batch: 2, steps: 3 });
    try {
      eng.writeWeights(torch);
      eng.writeBatch(batch);
      eng.writeXi(new Float32Array(3).fill(1));
      eng.writeH0();
      eng.run();
      const ref = referenceForwardBackward(c, chapter, batch);
      expect(Math.abs((await eng.readLoss()) - ref.loss) / ref.loss).toBeLessThan(1e-5);
      const g = await eng.readGradients();
      for (const name of ['W_hx', 'W_hh', 'b_h', 'W_qh', 'b_q']) expect(relErr(g[name], ref.grads[name]), name).toBeLessThan(1e-4);
    } finally {
      eng.destroy();
    }
  });

  it('mixed names, a missing bias half and the wrong length are refused by name', () => {
    expect(() => checkWeights(c, { ...torch, W_hx: torch.weight_ih_l0 })).toThrow(/weights\.W_hx = present: must not be given beside PyTorch's weight_ih_l0/);
    const { bias_hh_l0: _, ...noHh } = torch;
    expect(() => checkWeights(c, noHh)).toThrow(/weights\.bias_hh_l0 = undefined: must be a Float32Array or Float64Array beside the other \(b_h = bias_ih_l0 \+ bias_hh_l0\)/);
    expect(() => checkWeights(c, { ...torch, bias_hh_l0: rand(H + 1) })).toThrow(/weights\.bias_hh_l0 = length 6: must have the length of bias_ih_l0 \(5\)/);
    expect(() => checkWeights(c, { ...torch, weight_hh_l0: rand(H) })).toThrow(BpttError);
    // the chapter's names still work, and a two-layer model keeps PyTorch's own
    expect(() => checkWeights(c, chapter)).not.toThrow();
    const two = makeConfig({ hidden: 3, layers: 2 });
    expect(Object.keys(checkWeights(two, initWeights(two, createRng(1))))).toContain('weight_ih_l1');
  });
});
