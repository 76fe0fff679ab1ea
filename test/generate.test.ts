// Generation on the GPU: the tokens it picks follow the float64 reference's
// outputs (greedy: argmax at every step; sampled: the same draws from the
// reference's softmax), and it leaves no buffer behind.
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { makeConfig } from './fixtures';
import { initWeights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { generateIds, pickToken } from '../src/lm/generate';
import { BpttEngine } from '../src/engine/bptt';
import { referenceForwardBackward } from '../src/reference/rnn64';
import { referenceCells } from '../src/reference/cells64';
import { liveMemory } from '../src/gpu/buffers';
import type { RnnConfig } from '../src/model/config';
import type { Weights } from '../src/model/params';

/** The reference's logits at each step of `ids` (one sequence): the chapter's rnn64, or the cell reference. */
function referenceLogits(c: RnnConfig, w: Weights, ids: number[]): Float64Array {
  const batch = { B: 1, T: ids.length, tokens: ids, targets: ids.map(() => 0) };
  return (c.cell ?? 'rnn') === 'rnn' && (c.layers ?? 1) === 1 ? referenceForwardBackward(c, w, batch).o : referenceCells(c, w, batch).o;
}

describe('generation on the GPU', () => {
  const models: [string, Partial<RnnConfig>][] = [
    ['chapter model (tanh)', { activation: 'tanh' }],
    ['chapter model (relu)', { activation: 'relu' }],
    ['rnn, 2 layers', { layers: 2 }],
    ['lstm, 2 layers', { cell: 'lstm', layers: 2 }],
    ['gru, 1 layer', { cell: 'gru' }],
  ];
  for (const [label, model] of models) {
    it(`${label}: greedy and sampled picks follow the float64 reference`, async () => {
      const device = await gpu();
      const c = makeConfig({ hidden: 13, ...model });
      const w = initWeights(c, createRng(4));
      for (const k of Object.keys(w)) w[k] = w[k].map((v) => v * 3); // sharper logits: fewer near-ties
      const before = liveMemory(device).buffers;
      const prefix = [1, 4, 2];
      for (const temperature of [0, 0.8]) {
        const got = await generateIds(device, c, w, prefix, 12, temperature, createRng(9));
        const ids = [...prefix, ...got];
        const o = referenceLogits(c, w, ids.slice(0, -1));
        const rng = createRng(9);
        const want = got.map((_, i) => pickToken(o.subarray((prefix.length - 1 + i) * c.outputSize, (prefix.length + i) * c.outputSize), temperature, rng));
        expect(got).toEqual(want);
      }
      expect(liveMemory(device).buffers).toBe(before);
    });
  }

  it('refuses bad input before any GPU work', async () => {
    const device = await gpu();
    const c = makeConfig({});
    const w = initWeights(c, createRng(1));
    await expect(generateIds(device, c, w, [], 3)).rejects.toThrow(/prefix = empty: needs at least one token/);
    await expect(generateIds(device, c, w, [1], 3, -1)).rejects.toThrow(/temperature = -1: must be ≥ 0/);
    // a destroyed engine (a demo run replaced while it sampled) is refused before any GPU work
    const e = new BpttEngine(device, { config: c, batch: 1, steps: 2 });
    e.destroy();
    await expect(generateIds(device, c, e, [1], 3)).rejects.toThrow(/weights = a destroyed engine: generate from a live engine/);
  });
});
