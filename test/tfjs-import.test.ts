// TF.js Layers models import and give TF.js's predictions: the files in
// test/golden/tfjs/<name>/ were written by scripts/golden/make_tfjs.mjs
// (TF.js's model.json + weights and its predictions on fixed inputs; the GRU
// reset_after = true files as Keras writes them, with Keras's equations in
// TF.js ops since TF.js refuses that GRU). Each imports to a spec, config
// and weights whose outputs — from our GPU forward pass and from the float64
// reference — match TF.js's to 1e-5 relative. An Embedding in front imports
// as a token model. An imported GRU also trains (one engine step matches the
// float64 reference's loss and gradients).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpu, relErr } from './gpu';
import { gpuOutputs } from './interop-forward';
import { readTfjsFolder } from '../src/interop/tfjs-node';
import { referenceCells } from '../src/reference/cells64';
import { BpttEngine } from '../src/engine/bptt';
import { full } from '../src/engine/truncation';

const GOLDEN = join(import.meta.dirname, 'golden', 'tfjs');

interface Expected {
  /** [B][T][d], or [B][T] token ids (Embedding models). */
  input: number[][][] | number[][];
  output: number[][] | number[][][];
}

function softmaxRows(o: ArrayLike<number>, Q: number): Float64Array {
  const out = new Float64Array(o.length);
  for (let r = 0; r < o.length / Q; r++) {
    let m = -Infinity, s = 0;
    for (let q = 0; q < Q; q++) m = Math.max(m, o[r * Q + q]);
    for (let q = 0; q < Q; q++) s += Math.exp(o[r * Q + q] - m);
    for (let q = 0; q < Q; q++) out[r * Q + q] = Math.exp(o[r * Q + q] - m) / s;
  }
  return out;
}

/** O (T, B, Q) time-major → TF.js's layout: [B][T][Q] (every step) or [B][Q] (last step), flat. */
function kerasLayout(O: ArrayLike<number>, B: number, T: number, Q: number, returnSequences: boolean): Float64Array {
  const out = new Float64Array(B * (returnSequences ? T : 1) * Q);
  let at = 0;
  for (let b = 0; b < B; b++) for (let t = returnSequences ? 0 : T - 1; t < T; t++) for (let q = 0; q < Q; q++) out[at++] = O[(t * B + b) * Q + q];
  return out;
}

const CASES: [string, string][] = [
  ['simplernn', 'SimpleRNN (tanh) + Dense, last step'],
  ['simplernn_relu_seq', 'SimpleRNN (relu, input shape [null, d]) + Dense per step'],
  ['simplernn_stacked_seq', 'SimpleRNN × 2 + Dense per step'],
  ['lstm_softmax', 'LSTM + Dense softmax (classes), last step'],
  ['lstm_seq', 'LSTM + TimeDistributed(Dense), every step'],
  ['lstm_stacked', 'LSTM × 3 + Dense, last step'],
  ['lstm_nobias', 'LSTM and Dense without biases'],
  ['gru_reset_after', 'GRU reset_after = true + Dense, last step'],
  ['gru_stacked_seq', 'GRU reset_after = true × 2 + TimeDistributed(Dense)'],
  ['embedding_lstm', 'Embedding + LSTM + Dense softmax per step (a token model)'],
];

describe('TF.js Layers models import with TF.js\'s predictions', () => {
  for (const [name, what] of CASES) {
    it(`${name}: ${what}`, async () => {
      const device = await gpu();
      const m = readTfjsFolder(join(GOLDEN, name, 'model.json'));
      const exp = JSON.parse(readFileSync(join(GOLDEN, name, 'expected.json'), 'utf8')) as Expected;
      const B = exp.input.length, T = exp.input[0].length, Q = m.config.outputSize;
      const tokenModel = typeof exp.input[0][0] === 'number', d = tokenModel ? 1 : (exp.input as number[][][])[0][0].length;
      expect(m.config.input).toBe(tokenModel ? 'tokens' : 'dense');
      if (!tokenModel) expect(m.config.inputSize).toBe(d);
      expect(m.returnSequences).toBe(m.spec.returnSequences);
      // Keras's [B][T][d] (or [B][T] ids) → time-major (T, B, d)
      const x = new Float32Array(T * B * d);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) x.set(tokenModel ? [(exp.input as number[][])[b][t]] : (exp.input as number[][][])[b][t], (t * B + b) * d);
      const inputs = tokenModel ? { tokens: Array.from(x) } : { x };
      const want = Float64Array.from((exp.output as number[][]).flat(2));
      const softmax = m.config.loss === 'softmax-xent';
      const view = (O: ArrayLike<number>) => {
        const k = kerasLayout(O, B, T, Q, m.returnSequences);
        return softmax ? softmaxRows(k, Q) : k;
      };
      const ours = view(await gpuOutputs(device, m.config, m.weights, { B, T, ...inputs }));
      const ref = view(referenceCells(m.config, m.weights, { B, T, ...inputs, y: new Float64Array(T * B * Q), targets: new Uint32Array(T * B) }).o);
      expect(ours.length).toBe(want.length);
      const eGpu = relErr(ours, want), eRef = relErr(ref, want);
      console.log(`tfjs ${name} (${m.config.cell} × ${m.config.layers}, ${m.returnSequences ? 'every step' : 'last step'}${softmax ? ', softmax' : ''}): GPU ${eGpu.toExponential(1)}, float64 reference ${eRef.toExponential(1)}`);
      expect(eGpu).toBeLessThan(1e-5);
      expect(eRef).toBeLessThan(1e-5);
    });
  }

  it('an imported GRU trains: one forward + backward on the GPU gives the float64 reference\'s loss and gradients', async () => {
    const device = await gpu();
    const m = readTfjsFolder(join(GOLDEN, 'gru_stacked_seq', 'model.json'));
    const B = 2, T = 3, d = m.config.inputSize, Q = m.config.outputSize;
    const x = Float32Array.from({ length: T * B * d }, (_, i) => Math.sin(i));
    const y = Float32Array.from({ length: T * B * Q }, (_, i) => Math.cos(i));
    const ref = referenceCells(m.config, m.weights, { B, T, x, y });
    const eng = new BpttEngine(device, { config: m.config, batch: B, steps: T });
    try {
      eng.writeWeights(m.weights);
      eng.writeBatch({ x, y });
      eng.writeXi(full().plan(T, B));
      eng.writeH0();
      eng.run();
      const loss = await eng.readLoss();
      const grads = await eng.readGradients();
      let worst = 0;
      for (const k of Object.keys(m.weights)) worst = Math.max(worst, relErr(grads[k], ref.grads[k]));
      console.log(`imported gru × 2 training step: loss ${loss} vs ${ref.loss}, worst gradient ${worst.toExponential(1)}`);
      expect(Math.abs(loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
      expect(worst).toBeLessThan(1e-4);
    } finally {
      eng.destroy();
    }
  });
});
