// The gradcheck case format for cells and layers (issue 9/10): every cell ×
// {1, 2, 3} layers × every truncation × {bias, no bias} on the GPU against
// `--reference` (float64), with h0/c0, T = 1, H not a multiple of the
// workgroup size, and chunked windows.
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { parseCase, runGradcheck } from '../src/cli/gradcheck';
import { paramShapes } from '../src/model/params';
import { validateConfig, type CellKind } from '../src/model/config';
import { createRng, type Rng } from '../src/util/rng';
import { gradcheckErr } from './harness';

const V = 5, H = 5, B = 2;

function nested(rng: Rng, rows: number, cols: number, s = 0.5): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => s * (2 * rng.next() - 1)));
}

/** A random CASE.json object. */
function makeCase(cell: CellKind, layers: number, bias: boolean, T: number, extra: Record<string, unknown>, seed: number): Record<string, unknown> {
  const rng = createRng(seed);
  const config = { vocab: V, hidden: H, activation: 'tanh', bias, cell, layers };
  const c = validateConfig({ cell, layers, input: 'tokens', inputSize: V, hidden: H, outputSize: V, activation: 'tanh', bias, loss: 'softmax-xent' });
  const weights: Record<string, unknown> = {};
  for (const [name, rows, cols] of paramShapes(c)) weights[name] = rows === 1 ? nested(rng, 1, cols)[0] : nested(rng, rows, cols, 0.7);
  const ids = () => Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(V)));
  const chapter = cell === 'rnn' && layers === 1;
  const states = () => (chapter ? nested(rng, B, H) : Array.from({ length: layers }, () => nested(rng, B, H)));
  const out: Record<string, unknown> = { config, weights, tokens: ids(), targets: ids(), h0: states(), ...extra };
  if (cell === 'lstm') out.c0 = Array.from({ length: layers }, () => nested(rng, B, H));
  return out;
}

const truncations: [string, number, Record<string, unknown>][] = [
  ['full', 6, {}],
  ['regular', 6, { truncation: { kind: 'regular', tau: 4 } }],
  ['randomized', 6, { truncation: { kind: 'randomized', pi: 0.5, seed: 3 } }],
  ['randomized per sequence', 6, { truncation: { kind: 'randomized', pi: 0.5, perSequence: true, seed: 4 } }],
  ['explicit ξ', 6, { xi: [1, 0.5, 2, 0, 1.5, 1] }],
  ['explicit 2-D ξ', 6, { xi: [[1, 0, 2, 1, 0.5, 1], [1, 1, 0, 3, 1, 0]] }],
  ['tbptt(1, 3)', 6, { truncation: { kind: 'tbptt', k1: 1, k2: 3 } }],
  ['tbptt(2, 5), T = 7', 7, { truncation: { kind: 'tbptt', k1: 2, k2: 5 } }],
  ['tbptt(3, 3)', 6, { truncation: { kind: 'tbptt', k1: 3, k2: 3 } }],
  ['tbptt(2, 9) (k2 ≥ T)', 6, { truncation: { kind: 'tbptt', k1: 2, k2: 9 } }],
  ['T = 1', 1, {}],
  ['chunked full', 7, { chunk: 3 }],
  ['chunked tbptt(2, 4)', 7, { chunk: 3, truncation: { kind: 'tbptt', k1: 2, k2: 4 } }],
  ['chunked 2-D ξ', 6, { chunk: 4, xi: [[1, 2, 0, 1, 1, 0.5], [0, 1, 1, 2, 0, 1]] }],
];

const CELLS_BUILT: CellKind[] = ['rnn', 'lstm', 'gru'];

describe('gradcheck: GPU vs --reference for every cell, depth and truncation', () => {
  for (const cell of CELLS_BUILT) {
    for (const layers of [1, 2, 3]) {
      it(`${cell}, ${layers} layer(s): every truncation, with and without bias`, async () => {
        const device = await gpu();
        const rows: string[] = [];
        let seed = 10;
        for (const bias of [true, false]) {
          for (const [name, T, extra] of truncations) {
            const k = parseCase(makeCase(cell, layers, bias, T, extra, seed++));
            const e = gradcheckErr(await runGradcheck(k, device), await runGradcheck(k, null));
            rows.push(`${name}${bias ? '' : ' no-bias'} ${e.toExponential(1)}`);
            expect(e, `${cell} L=${layers} bias=${bias} ${name}`).toBeLessThan(1e-4);
          }
        }
        console.log(`${cell} L=${layers}: ${rows.join(' | ')}`);
      });
    }
  }

  it('refuses malformed cell cases naming the field', () => {
    const good = makeCase('rnn', 2, true, 3, {}, 1);
    expect(() => parseCase({ ...good, config: { ...(good.config as object), cell: 'tree' } })).toThrow(/config\.cell = "tree": must be one of/);
    expect(() => parseCase({ ...good, config: { ...(good.config as object), layers: 0 } })).toThrow(/config\.layers = 0/);
    expect(() => parseCase({ ...good, c0: good.h0 })).toThrow(/c0 = present: only an LSTM has a cell state/);
    expect(() => parseCase({ ...good, h0: [[[0]]] })).toThrow(/h0 = .*: must be an array of layers = 2 matrices/);
    const w = { ...(good.weights as Record<string, unknown>) };
    delete w.bias_hh_l1;
    expect(() => parseCase({ ...good, weights: w })).toThrow(/weights\.bias_hh_l1 = undefined: must be an array of 5 numbers/);
    expect(() => parseCase({ ...good, truncation: { kind: 'tbptt', k1: 3, k2: 2 } })).toThrow(/truncation\.k2 = 2: must be ≥ k1 = 3/);
    expect(() => parseCase({ ...good, xi: [[1, 1, 1]] })).toThrow(/xi = .*: must be an array of 2 rows/);
  });
});

describe("gradcheck: the chapter's model under nn.RNN's names", () => {
  it('weight_ih_l0, weight_hh_l0, bias_ih_l0 + bias_hh_l0 give the chapter-named case\'s loss and gradients, printed under the names given', async () => {
    const device = await gpu();
    const chapter = makeCase('rnn', 1, true, 4, {}, 21);
    const w = chapter.weights as Record<string, number[][] | number[]>;
    const half = (w.b_h as number[]).map((v) => v / 2); // b_h = bias_ih_l0 + bias_hh_l0
    const torch = { ...chapter, config: { vocab: V, hidden: H, bias: true }, weights: { weight_ih_l0: w.W_hx, weight_hh_l0: w.W_hh, bias_ih_l0: half, bias_hh_l0: half, W_qh: w.W_qh, b_q: w.b_q } };
    for (const dev of [device, null]) {
      const a = await runGradcheck(parseCase(chapter), dev);
      const b = await runGradcheck(parseCase(torch), dev);
      expect(Object.keys(b.grads).sort()).toEqual(['W_qh', 'b_q', 'bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']);
      expect(Math.abs(b.loss - a.loss) / a.loss).toBeLessThan(1e-6);
      for (const [mine, theirs] of [['weight_ih_l0', 'W_hx'], ['weight_hh_l0', 'W_hh'], ['bias_ih_l0', 'b_h'], ['bias_hh_l0', 'b_h'], ['W_qh', 'W_qh']]) {
        expect((b.grads[mine] as number[] | number[][]).flat()).toEqual((a.grads[theirs] as number[] | number[][]).flat().map((v) => expect.closeTo(v, 6)));
      }
    }
    // names are not mixed
    expect(() => parseCase({ ...torch, weights: { ...torch.weights, W_hh: w.W_hh } })).toThrow(/weights\.W_hh/);
  });
});
