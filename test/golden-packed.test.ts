// Variable-length batches on a real WebGPU device against PyTorch's packed
// sequences: golden files that scripts/golden/make_packed.py wrote with
// pack_padded_sequence → nn.RNN / nn.LSTM / nn.GRU → pad_packed_sequence
// (float64; lengths [6, 3, 1, 4], unsorted) for rnn / lstm / gru × 1 and 2
// layers with cross-entropy over the real (t, b) (PyTorch's ignore_index), one
// MSE case and one many-to-one case (the head on h_n, which the engine gets as
// loss weight 1 at t = lengths[b] − 1). The engine's loss, every gradient, the
// outputs at real steps and the final states (each sequence's state at its
// last real step) must equal PyTorch's to 1e-5 relative, in one window and
// in a chunked one (chunk 4 of T = 6, sequences ending on both sides of the
// chunk boundary). The files themselves are first checked against the
// float64 reference run on each sequence alone, and against the float64
// reference of padded batches (lengths, lossWeights).
// Padded steps hold random inputs and targets in the files: PyTorch never
// reads them, so any leak from them shows. No Python runs here.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { gpu, relErr } from './gpu';
import { BpttEngine } from '../src/engine/bptt';
import { validateConfig, isChapterModel, type ModelConfig, type RnnConfig } from '../src/model/config';
import { paramShapes, type Weights } from '../src/model/params';
import { referenceCells } from '../src/reference/cells64';

/** One golden file (see scripts/golden/make_packed.py for every field). */
interface PackedGolden {
  name: string;
  config: RnnConfig;
  many_to_one: boolean;
  B: number;
  T: number;
  lengths: number[];
  /** PyTorch's names without the module prefix (weight_ih_l0, …), the head as W_qh / b_q. */
  weights: Record<string, number[]>;
  x: number[][][];
  targets?: number[][];
  y?: number[][][];
  loss_weights: number[][];
  outputs: (number[] | null)[][];
  h_n: number[][][];
  c_n?: number[][][];
  loss: number;
  grads: Record<string, number[]>;
}

const CASES = ['rnn_l1_xent', 'rnn_l2_xent', 'lstm_l1_xent', 'lstm_l2_xent', 'gru_l1_xent', 'gru_l2_xent', 'gru_l2_mse', 'lstm_l2_many_to_one'];
const dir = new URL('./golden/packed/', import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as PackedGolden;

/** The PyTorch name whose tensor (and gradient) is our parameter `name`. The chapter's model (one 'rnn' layer) has one bias b_h = bias_ih_l0 + bias_hh_l0, whose gradient is each of theirs. */
function torchOf(c: ModelConfig, name: string): string {
  if (!isChapterModel(c)) return name;
  return ({ W_hx: 'weight_ih_l0', W_hh: 'weight_hh_l0', b_h: 'bias_ih_l0' } as Record<string, string>)[name] ?? name;
}

/** The golden weights by the engine's names, float64. */
function weightsOf(c: ModelConfig, g: PackedGolden): Weights<Float64Array> {
  const w: Weights<Float64Array> = {};
  for (const [name] of paramShapes(c)) {
    const v = Float64Array.from(g.weights[torchOf(c, name)]);
    if (name === 'b_h') g.weights.bias_hh_l0.forEach((b, i) => (v[i] += b));
    w[name] = v;
  }
  return w;
}

/** The engine's batch: x, targets or y (time-major, row t·B + b), and unless `full`, lengths and the many-to-one case's loss weights. */
function batchOf(c: ModelConfig, g: PackedGolden, full = false) {
  const target = c.loss === 'mse' ? { y: g.y!.flat(2) } : { targets: g.targets!.flat() };
  if (full) return { x: g.x.flat(2), ...target };
  return { x: g.x.flat(2), ...target, lengths: g.lengths, ...(g.many_to_one ? { lossWeights: g.loss_weights.flat() } : {}) };
}

describe('variable-length batches against PyTorch pack_padded_sequence (test/golden/packed)', () => {
  it('the golden files are the eight cases, with distinct unsorted lengths and each case\'s own loss weights', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort()).toEqual([...CASES].sort());
    for (const name of CASES) {
      const g = load(name);
      expect(new Set(g.lengths).size).toBe(g.B);
      expect(g.lengths.some((n, b) => b > 0 && n > g.lengths[b - 1])).toBe(true);
      g.loss_weights.forEach((row, t) =>
        row.forEach((w, b) => expect(w).toBe(g.many_to_one ? Number(t === g.lengths[b] - 1) : Number(t < g.lengths[b]))),
      );
    }
  });

  // Independent of the engine's new paths: each sequence run alone (B = 1,
  // T = its length) through the fixed-length float64 reference. The packed
  // batch's outputs and final states are those of its sequences alone, and
  // its mean loss over the N real (t, b) is Σ_b (sequence b's summed loss)/N,
  // so its gradients are the sum of the sequences' gradients at scale 1/N.
  for (const name of CASES) {
    it(`${name}: each sequence alone through the float64 reference gives PyTorch's outputs, final states${name.includes('many_to_one') ? '' : ', loss and gradients'}`, () => {
      const g = load(name);
      const config = validateConfig(g.config);
      const { B, T } = g;
      const Q = config.outputSize, H = config.hidden, L = config.layers, d = config.inputSize;
      const weights = weightsOf(config, g);
      const N = g.lengths.reduce((s, n) => s + n, 0);
      const grads: Record<string, Float64Array> = {};
      let loss = 0, worst = 0;
      for (let b = 0; b < B; b++) {
        const n = g.lengths[b];
        const seq = { B: 1, T: n, x: Array.from({ length: n }, (_, t) => g.x[t][b]).flat(), ...(config.loss === 'mse' ? { y: Array.from({ length: n }, (_, t) => g.y![t][b]).flat() } : { targets: Array.from({ length: n }, (_, t) => g.targets![t][b]) }) };
        expect(seq.x.length).toBe(n * d);
        const r = referenceCells(config, weights, seq, { scale: 1 / N });
        loss += r.loss;
        for (const [p] of paramShapes(config)) (grads[p] ??= new Float64Array(r.grads[p].length)).forEach((_, i, a) => (a[i] += r.grads[p][i]));
        for (let t = 0; t < n; t++) worst = Math.max(worst, relErr(r.o.subarray(t * Q, (t + 1) * Q), g.outputs[t][b]!));
        for (let l = 0; l < L; l++) {
          worst = Math.max(worst, relErr(r.hLast[l], g.h_n[l][b]));
          if (g.c_n) worst = Math.max(worst, relErr(r.cLast![l], g.c_n[l][b]));
        }
        expect(r.hLast[0].length).toBe(H);
      }
      let gradErr = 0;
      if (!g.many_to_one) {
        for (const [p] of paramShapes(config)) gradErr = Math.max(gradErr, relErr(grads[p], g.grads[torchOf(config, p)]));
        const lossErr = Math.abs(loss - g.loss) / g.loss;
        console.log(`${name} alone through referenceCells: loss rel ${lossErr.toExponential(1)}, grads ${gradErr.toExponential(1)}, outputs/states ${worst.toExponential(1)}`);
        expect(lossErr).toBeLessThan(1e-12);
        expect(gradErr).toBeLessThan(1e-10);
      }
      expect(worst).toBeLessThan(1e-12);
      expect(T).toBe(Math.max(...g.lengths));
    });
  }

  // The float64 reference of padded batches (referenceCells with lengths and
  // lossWeights) on the whole batch, padding and all.
  for (const name of CASES) {
    it(`${name}: the float64 reference of padded batches gives PyTorch's loss, gradients, outputs and final states`, () => {
      const g = load(name);
      const config = validateConfig(g.config);
      const { B, T } = g;
      const Q = config.outputSize;
      const lengths = g.lengths, lossWeights = g.many_to_one ? g.loss_weights.flat() : undefined;
      const r = referenceCells(config, weightsOf(config, g), { B, T, ...batchOf(config, g, true) }, { lengths, lossWeights });
      const lossErr = Math.abs(r.loss - g.loss) / g.loss;
      const gradErr = Math.max(...paramShapes(config).map(([p]) => relErr(r.grads[p], g.grads[torchOf(config, p)])));
      let stateErr = 0, oErr = 0;
      for (let l = 0; l < config.layers; l++) {
        stateErr = Math.max(stateErr, relErr(r.hLast[l], g.h_n[l].flat()));
        if (g.c_n) stateErr = Math.max(stateErr, relErr(r.cLast![l], g.c_n[l].flat()));
      }
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (t < lengths[b]) oErr = Math.max(oErr, relErr(r.o.subarray((t * B + b) * Q, (t * B + b + 1) * Q), g.outputs[t][b]!));
      console.log(`${name} through referenceCells with lengths: loss rel ${lossErr.toExponential(1)}, grads ${gradErr.toExponential(1)}, states ${stateErr.toExponential(1)}, outputs ${oErr.toExponential(1)}`);
      expect(lossErr).toBeLessThan(1e-12);
      expect(gradErr).toBeLessThan(1e-10);
      expect(stateErr).toBeLessThan(1e-12);
      expect(oErr).toBeLessThan(1e-12);
    });
  }

  for (const name of CASES) {
    it(`${name}: the GPU engine's loss, gradients, outputs and final states equal PyTorch's (1e-5)`, async () => {
      const device = await gpu();
      const g = load(name);
      const config = validateConfig(g.config);
      const { B, T } = g;
      const Q = config.outputSize;
      const weights = weightsOf(config, g);
      const eng = new BpttEngine(device, { config, batch: B, steps: T });
      try {
        eng.writeWeights(weights);
        eng.writeBatch(batchOf(config, g));
        eng.writeXi(new Float32Array(T).fill(1));
        eng.writeH0();
        eng.run();
        const loss = await eng.readLoss();
        const grads = await eng.readGradients();
        const h = await eng.readLastState();
        const c = config.cell === 'lstm' ? await eng.readLastCell() : undefined;
        const o = await eng.readOutputs();

        const lossErr = Math.abs(loss - g.loss) / Math.abs(g.loss);
        const gradErrs = paramShapes(config).map(([p]) => [p, relErr(grads[p], g.grads[torchOf(config, p)])] as const);
        const gradErr = Math.max(...gradErrs.map(([, e]) => e));
        const hErr = relErr(h, g.h_n.flat(2));
        const cErr = c ? relErr(c, g.c_n!.flat(2)) : 0;
        // outputs at real steps only (padded steps' outputs are meaningless)
        const mine: number[] = [], theirs: number[] = [];
        for (let t = 0; t < T; t++) {
          for (let b = 0; b < B; b++) {
            const ref = g.outputs[t][b];
            if (t < g.lengths[b]) {
              expect(ref, `outputs[${t}][${b}]`).not.toBeNull();
              mine.push(...o.subarray((t * B + b) * Q, (t * B + b + 1) * Q));
              theirs.push(...ref!);
            } else expect(ref, `outputs[${t}][${b}]`).toBeNull();
          }
        }
        const oErr = relErr(mine, theirs);
        console.log(`${name}: loss ${loss} vs PyTorch ${g.loss} (rel ${lossErr.toExponential(1)}), grads ${gradErr.toExponential(1)}, h_n ${hErr.toExponential(1)}${c ? `, c_n ${cErr.toExponential(1)}` : ''}, outputs ${oErr.toExponential(1)}`);
        expect(lossErr).toBeLessThan(1e-5);
        for (const [p, e] of gradErrs) expect(e, `gradient ${p}`).toBeLessThan(1e-5);
        expect(hErr).toBeLessThan(1e-5);
        expect(cErr).toBeLessThan(1e-5);
        expect(oErr).toBeLessThan(1e-5);

        // the lengths are exercised: the same batch at full length is another loss
        eng.writeBatch(batchOf(config, g, true));
        eng.run();
        const unpadded = await eng.readLoss();
        expect(Math.abs(unpadded - g.loss) / Math.abs(g.loss)).toBeGreaterThan(1e-3);
      } finally {
        eng.destroy();
      }
    });
  }

  // A chunked window (C = 4 of T = 6): the backward pass recomputes each
  // chunk from its checkpoint; sequences end in the first chunk (lengths 3, 1),
  // in the second (4) and at T (6).
  for (const name of CASES) {
    it(`${name}: a chunked engine (chunk 4 of 6) gives PyTorch's loss, gradients and final states (1e-5)`, async () => {
      const device = await gpu();
      const g = load(name);
      const config = validateConfig(g.config);
      const eng = new BpttEngine(device, { config, batch: g.B, steps: g.T, chunk: 4 });
      try {
        expect(eng.chunks).toBe(2);
        eng.writeWeights(weightsOf(config, g));
        eng.writeBatch(batchOf(config, g));
        eng.writeXi(new Float32Array(g.T).fill(1));
        eng.writeH0();
        eng.run();
        const loss = await eng.readLoss();
        const grads = await eng.readGradients();
        const lossErr = Math.abs(loss - g.loss) / g.loss;
        const gradErr = Math.max(...paramShapes(config).map(([p]) => relErr(grads[p], g.grads[torchOf(config, p)])));
        const hErr = relErr(await eng.readLastState(), g.h_n.flat(2));
        const cErr = config.cell === 'lstm' ? relErr(await eng.readLastCell(), g.c_n!.flat(2)) : 0;
        console.log(`${name} chunked: loss rel ${lossErr.toExponential(1)}, grads ${gradErr.toExponential(1)}, h_n ${hErr.toExponential(1)}${g.c_n ? `, c_n ${cErr.toExponential(1)}` : ''}`);
        expect(lossErr).toBeLessThan(1e-5);
        expect(gradErr).toBeLessThan(1e-5);
        expect(hErr).toBeLessThan(1e-5);
        expect(cErr).toBeLessThan(1e-5);
      } finally {
        eng.destroy();
      }
    });
  }
});
