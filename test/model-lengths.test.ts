// Variable-length sequences through the model API: ragged nested arrays
// (lengths from the rows), predictions equal to each sequence run alone
// through the float64 reference, many-to-one training with a short last batch
// equal to float64 SGD on each sequence's last-step loss, and predict's
// forward-only engine holding no training buffer.
import { describe, expect, it } from 'vitest';
import { gpu, maxAbs, relErr } from './gpu';
import { createModel } from '../src/api/model';
import { checkSpec, modelConfig, type ModelSpec } from '../src/api/spec';
import { referenceCells } from '../src/reference/cells64';
import { liveMemory } from '../src/gpu/buffers';
import { planBuffers } from '../src/engine/plan';
import { createRng } from '../src/util/rng';
import type { Weights } from '../src/model/params';

const rng = createRng(21);
const lens = [5, 2, 4, 1, 3];
const x = lens.map((T) => Array.from({ length: T }, () => [rng.normal(), rng.normal()]));

/**
 * One sequence alone through the float64 reference: its outputs (T, Q), and
 * the loss at its last step with that loss's gradient. The last step's loss
 * is the summed loss (scale 1) of the whole sequence minus that of the
 * sequence without its last step (the same earlier losses), and so is its
 * gradient: no loss weights needed.
 */
function alone(spec: ModelSpec, w: Weights<Float32Array | Float64Array>, seq: number[][], yLast: number[] = [0]) {
  const c = modelConfig(checkSpec(spec));
  const T = seq.length, Q = c.outputSize;
  const y = new Float64Array(T * Q);
  y.set(yLast, (T - 1) * Q);
  const all = referenceCells(c, w, { B: 1, T, x: seq.flat(), y }, { scale: 1 });
  if (T === 1) return all;
  const head = referenceCells(c, w, { B: 1, T: T - 1, x: seq.slice(0, -1).flat(), y: y.subarray(0, (T - 1) * Q) }, { scale: 1 });
  const grads = Object.fromEntries(Object.entries(all.grads).map(([k, g]) => [k, g.map((v, i) => v - head.grads[k][i])]));
  return { o: all.o, loss: all.loss - head.loss, grads };
}

describe('variable-length sequences', () => {
  it('predict on ragged rows equals each sequence run alone (per step and at the last real step)', async () => {
    const device = await gpu();
    for (const returnSequences of [true, false]) {
      const spec: ModelSpec = { cell: 'lstm', layers: 2, hidden: 4, input: { features: 2 }, output: { regression: 2 }, returnSequences };
      const model = createModel(device, spec, { seed: 8 });
      const w = await model.getWeights();
      const out = await model.predict(x, { batchSize: 3 });
      let err = 0;
      for (let n = 0; n < lens.length; n++) {
        const o = alone(spec, w, x[n]).o;
        if (returnSequences) {
          err = Math.max(err, maxAbs(out.data.subarray(n * 5 * 2, n * 5 * 2 + lens[n] * 2), o));
          // steps after the sequence's end are 0
          expect([...out.data.subarray(n * 5 * 2 + lens[n] * 2, (n + 1) * 5 * 2)].every((v) => v === 0)).toBe(true);
        } else err = Math.max(err, maxAbs(out.data.subarray(n * 2, n * 2 + 2), o.subarray((lens[n] - 1) * 2)));
      }
      console.log(`ragged predict (returnSequences ${returnSequences}): max |gpu − f64 alone|`, err);
      expect(err).toBeLessThan(1e-5);
      model.destroy();
    }
  });

  it('many-to-one fit over ragged sequences, the last batch short: float64 SGD on each last-step loss', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'gru', hidden: 3, input: { features: 2 }, output: { regression: 1 } };
    const model = createModel(device, spec, { seed: 9 });
    const y = x.map((s) => s[s.length - 1][0] - s[0][1]);
    let w: Weights<Float64Array> = Object.fromEntries(Object.entries(await model.getWeights()).map(([k, v]) => [k, Float64Array.from(v)]));
    const lr = 0.3, losses: number[] = [], refLosses: number[] = [];
    await model.fit(x, y, { batchSize: 3, shuffle: false, optimizer: { kind: 'sgd', lr }, callbacks: { onBatchEnd: (_, l) => void losses.push(l.loss) } });
    for (const batch of [[0, 1, 2], [3, 4]]) {
      const g: Weights<Float64Array> = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, new Float64Array(v.length)]));
      let loss = 0;
      for (const n of batch) {
        const r = alone(spec, w, x[n], [y[n]]);
        loss += r.loss / batch.length;
        for (const k of Object.keys(g)) for (let i = 0; i < g[k].length; i++) g[k][i] += r.grads[k][i] / batch.length;
      }
      refLosses.push(loss);
      w = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v.map((p, i) => p - lr * g[k][i])]));
    }
    const got = await model.getWeights();
    const worst = Math.max(...Object.keys(w).map((k) => relErr(got[k], w[k])));
    console.log('many-to-one ragged fit, 2 SGD steps: worst relative error per tensor', worst, 'losses', losses, 'reference', refLosses);
    expect(worst).toBeLessThan(1e-5);
    expect(maxAbs(losses, refLosses)).toBeLessThan(1e-5);
    model.destroy();
  });

  it('evaluate with per-step class targets: the mean over the real positions only', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'rnn', hidden: 3, input: { tokens: 3 }, output: { classes: 3 }, returnSequences: true };
    const model = createModel(device, spec, { seed: 4 });
    const xs = [[0, 1, 2, 1], [2], [1, 1]];
    const ys = [[1, 2, 0, 0], [2], [0, 1]];
    const r = await model.evaluate(xs, ys);
    const c = modelConfig(checkSpec(spec));
    const w = await model.getWeights();
    let sum = 0;
    for (let n = 0; n < 3; n++) sum += referenceCells(c, w, { B: 1, T: xs[n].length, tokens: xs[n], targets: ys[n] }, { scale: 1 }).loss;
    console.log('evaluate over 7 real positions', r.loss, 'reference', sum / 7);
    expect(Math.abs(r.loss - sum / 7)).toBeLessThan(1e-6);
    model.destroy();
  });

  it('predict allocates only forward buffers (the live-buffer tally), and destroy frees them', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'lstm', hidden: 8, input: { features: 4 }, output: { regression: 1 } };
    const before = liveMemory(device);
    const model = createModel(device, spec);
    expect(liveMemory(device)).toEqual(before); // nothing on the GPU until it is used
    const data = { data: new Float32Array(40 * 6 * 4).map((_, i) => Math.sin(i)), shape: [40, 6, 4] };
    await model.predict(data, { batchSize: 16 });
    const runner = model.forward(16, 6);
    const names = Object.keys(runner.engine.buf).filter((n) => runner.engine.buf[n] !== undefined);
    const training = ['grads', 'dO', 'target', 'targetAll', 'xi', 'xiAll', 'lossRows', 'lossW', 'lossWAll', 'dH', 'dHc0.0', 'diag'];
    expect(names.filter((n) => training.includes(n))).toEqual([]);
    const during = liveMemory(device);
    const trainingBytes = planBuffers({ config: model.config, batch: 16, steps: 6, chunk: 6, streams: 1 }).reduce((s, p) => s + p.bytes, 0);
    console.log('predict: live buffers', during.buffers - before.buffers, 'bytes', during.bytes - before.bytes, '; a training engine of the same shape plans', trainingBytes, 'bytes');
    // the engine's buffers plus its kernels' small uniform buffers
    expect(during.bytes - before.bytes).toBeGreaterThanOrEqual(runner.engine.arena.bytesInUse);
    expect(during.bytes - before.bytes - runner.engine.arena.bytesInUse).toBeLessThan(1024);
    expect(during.bytes - before.bytes).toBeLessThan(trainingBytes);
    model.destroy();
    expect(liveMemory(device)).toEqual(before);
  });
});
