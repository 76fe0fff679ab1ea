// Model.predict / evaluate / stream on a real WebGPU device against the
// float64 reference (referenceCells), each sequence run alone through it.
import { describe, expect, it } from 'vitest';
import { gpu, maxAbs } from './gpu';
import { createModel } from '../src/api/model';
import { modelConfig, checkSpec, type ModelSpec } from '../src/api/spec';
import { referenceCells } from '../src/reference/cells64';
import { createRng } from '../src/util/rng';
import type { Weights } from '../src/model/params';

/** Outputs (len, Q) of one sequence alone, in float64. */
function refOutputs(spec: ModelSpec, w: Weights, seq: number[][] | number[]): Float64Array {
  const c = modelConfig(checkSpec(spec));
  const T = seq.length, Q = c.outputSize;
  const batch = c.input === 'dense' ? { B: 1, T, x: (seq as number[][]).flat(), y: new Float64Array(T * Q) } : { B: 1, T, tokens: seq as number[], targets: new Array(T).fill(0) };
  return referenceCells(c, w, batch).o;
}

function softmax(o: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(o));
  const e = Array.from(o, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

function denseData(N: number, T: number, d: number, seed: number): number[][][] {
  const rng = createRng(seed);
  return Array.from({ length: N }, () => Array.from({ length: T }, () => Array.from({ length: d }, () => rng.normal())));
}

describe('Model.predict vs the float64 reference', () => {
  it('dense LSTM, 2 layers, returnSequences: [N][T][Q] over several batches (the last one short)', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'lstm', layers: 2, hidden: 5, input: { features: 3 }, output: { regression: 2 }, returnSequences: true };
    const model = createModel(device, spec, { seed: 3 });
    const x = denseData(5, 4, 3, 11);
    const out = await model.predict(x, { batchSize: 2 });
    expect(out.shape).toEqual([5, 4, 2]);
    const w = await model.getWeights();
    let err = 0;
    for (let n = 0; n < 5; n++) err = Math.max(err, maxAbs(out.data.subarray(n * 8, n * 8 + 8), refOutputs(spec, w, x[n])));
    console.log('predict dense lstm×2: max |gpu − f64|', err);
    expect(err).toBeLessThan(1e-5);
    const nested = out.toArray() as number[][][];
    expect(nested[4][3][1]).toBe(out.data[4 * 8 + 3 * 2 + 1]);
    model.destroy();
  });

  it('token GRU, many-to-one classes: softmax probabilities at the last step', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'gru', hidden: 6, input: { tokens: 5 }, output: { classes: 3 } };
    const model = createModel(device, spec, { seed: 4 });
    const rng = createRng(9);
    const x = Array.from({ length: 3 }, () => Array.from({ length: 6 }, () => rng.int(5)));
    const out = await model.predict(x);
    expect(out.shape).toEqual([3, 3]);
    const w = await model.getWeights();
    let err = 0;
    for (let n = 0; n < 3; n++) {
      const o = refOutputs(spec, w, x[n]);
      err = Math.max(err, maxAbs(out.data.subarray(n * 3, n * 3 + 3), softmax(o.subarray(5 * 3, 6 * 3))));
    }
    console.log('predict token gru many-to-one: max |p_gpu − p_f64|', err);
    expect(err).toBeLessThan(1e-5);
    model.destroy();
  });

  it('evaluate: the mean loss over the counted positions and the accuracy, from the reference', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'rnn', hidden: 4, input: { tokens: 4 }, output: { classes: 4 }, returnSequences: true };
    const model = createModel(device, spec, { seed: 5 });
    const rng = createRng(2);
    const x = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => rng.int(4)));
    const y = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => rng.int(4)));
    const r = await model.evaluate(x, y, { batchSize: 2 });
    const w = await model.getWeights();
    let loss = 0, correct = 0;
    for (let n = 0; n < 3; n++) {
      const o = refOutputs(spec, w, x[n]);
      for (let t = 0; t < 5; t++) {
        const p = softmax(o.subarray(t * 4, t * 4 + 4));
        loss -= Math.log(p[y[n][t]]);
        if (p.indexOf(Math.max(...p)) === y[n][t]) correct++;
      }
    }
    console.log('evaluate', r, 'reference', loss / 15, correct / 15);
    expect(Math.abs(r.loss - loss / 15)).toBeLessThan(1e-5);
    expect(r.accuracy).toBeCloseTo(correct / 15, 12);
    model.destroy();
  });

  it('stream(): step by step, one or several steps at a time, equals predict to 1e-6; reset() starts over', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'lstm', hidden: 6, input: { features: 2 }, output: { regression: 1 }, returnSequences: true };
    const model = createModel(device, spec, { seed: 6 });
    const x = denseData(2, 6, 2, 12);
    const whole = await model.predict(x);
    const s = model.stream({ batch: 2 });
    const got = new Float32Array(12);
    const a = await s.step(x.map((seq) => seq.slice(0, 1)));
    const b = await s.step(x.map((seq) => seq.slice(1, 4)));
    const c = await s.step({ data: Float32Array.from(x.flatMap((seq) => seq.slice(4).flat())), shape: [2, 2, 2] });
    expect(b.shape).toEqual([2, 3, 1]);
    for (let n = 0; n < 2; n++) {
      got[n * 6] = a.data[n];
      got.set(b.data.subarray(n * 3, n * 3 + 3), n * 6 + 1);
      got.set(c.data.subarray(n * 2, n * 2 + 2), n * 6 + 4);
    }
    const err = maxAbs(got, whole.data);
    console.log('stream vs predict: max |Δ|', err);
    expect(err).toBeLessThan(1e-6);
    s.reset();
    const again = await s.step(x.map((seq) => seq.slice(0, 1)));
    expect(maxAbs(again.data, a.data)).toBe(0);
    s.destroy();
    expect(() => s.reset()).toThrow(/destroyed/);
    model.destroy();
  });
});
