// Model.fit on a real WebGPU device: one SGD step against the float64
// reference's gradient, callbacks and history, validation, abort, and bad
// options refused before any GPU work.
import { describe, expect, it } from 'vitest';
import { gpu, relErr } from './gpu';
import { createModel } from '../src/api/model';
import { modelConfig, checkSpec, type ModelSpec } from '../src/api/spec';
import { referenceCells } from '../src/reference/cells64';
import { liveMemory } from '../src/gpu/buffers';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';
import { tbptt } from '../src/engine/truncation';

function data(N: number, T: number, d: number, seed: number) {
  const rng = createRng(seed);
  const x = Array.from({ length: N }, () => Array.from({ length: T }, () => Array.from({ length: d }, () => rng.normal())));
  const y = x.map((seq) => seq.map((step) => [step[0] * 0.5 - step[1]]));
  return { x, y };
}

/** Time-major (T, N, ·) flattening of [N][T][·], for the reference. */
const timeMajor = (a: number[][][]) => a[0].flatMap((_, t) => a.flatMap((seq) => seq[t]));

describe('Model.fit', () => {
  it('one SGD step on one batch: weights − lr·∇L of the float64 reference; the batch loss is the reference loss', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'lstm', hidden: 4, input: { features: 2 }, output: { regression: 1 }, returnSequences: true };
    const model = createModel(device, spec, { seed: 1 });
    const w0 = await model.getWeights();
    const { x, y } = data(3, 5, 2, 7);
    const losses: number[] = [];
    const h = await model.fit(x, y, { epochs: 1, batchSize: 3, shuffle: false, optimizer: { kind: 'sgd', lr: 0.5 }, callbacks: { onBatchEnd: (_, logs) => void losses.push(logs.loss) } });
    const c = modelConfig(checkSpec(spec));
    const ref = referenceCells(c, w0, { B: 3, T: 5, x: timeMajor(x), y: timeMajor(y) });
    const w1 = await model.getWeights();
    let worst = 0;
    for (const k of Object.keys(w0)) worst = Math.max(worst, relErr(w1[k], Array.from(w0[k], (v, i) => v - 0.5 * ref.grads[k][i])));
    console.log('fit one SGD step: worst relative error per tensor', worst, 'loss', losses[0], 'reference', ref.loss);
    expect(worst).toBeLessThan(1e-5);
    expect(losses).toHaveLength(1);
    expect(Math.abs(losses[0] - ref.loss) / ref.loss).toBeLessThan(1e-5);
    expect(h.history.loss).toEqual([losses[0]]);
    expect(model.steps).toBe(1);
    model.destroy();
  });

  it("truncation passes through: one SGD step under TBPTT(2, 3) is the reference's TBPTT gradient", async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'gru', layers: 2, hidden: 3, input: { features: 2 }, output: { regression: 1 }, returnSequences: true };
    const model = createModel(device, spec, { seed: 6 });
    const w0 = await model.getWeights();
    const { x, y } = data(2, 6, 2, 8);
    await model.fit(x, y, { batchSize: 2, shuffle: false, optimizer: { kind: 'sgd', lr: 0.5 }, truncation: tbptt(2, 3) });
    const ref = referenceCells(modelConfig(checkSpec(spec)), w0, { B: 2, T: 6, x: timeMajor(x), y: timeMajor(y) }, { tbptt: { k1: 2, k2: 3 } });
    const full = referenceCells(modelConfig(checkSpec(spec)), w0, { B: 2, T: 6, x: timeMajor(x), y: timeMajor(y) });
    const w1 = await model.getWeights();
    let worst = 0, fromFull = 0;
    for (const k of Object.keys(w0)) {
      worst = Math.max(worst, relErr(w1[k], Array.from(w0[k], (v, i) => v - 0.5 * ref.grads[k][i])));
      fromFull = Math.max(fromFull, relErr(w1[k], Array.from(w0[k], (v, i) => v - 0.5 * full.grads[k][i])));
    }
    console.log('fit with TBPTT(2, 3): worst relative error per tensor', worst, '(against full BPTT:', fromFull, ')');
    expect(worst).toBeLessThan(1e-5);
    expect(fromFull).toBeGreaterThan(1e-4); // the truncation made a difference
    model.destroy();
  });

  it('epochs, callbacks, history and validationSplit (val_loss = evaluate on the held-out last sequences)', async () => {
    const device = await gpu();
    const spec: ModelSpec = { cell: 'gru', hidden: 6, input: { tokens: 4 }, output: { classes: 2 } };
    const model = createModel(device, spec, { seed: 2 });
    const rng = createRng(3);
    const x = Array.from({ length: 10 }, () => Array.from({ length: 4 }, () => rng.int(4)));
    const y = x.map((s) => (s[0] > 1 ? 1 : 0));
    const batches: number[] = [];
    const epochs: [number, Record<string, number>][] = [];
    const h = await model.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      validationSplit: 0.2,
      optimizer: { kind: 'adam', lr: 0.05 },
      callbacks: { onBatchEnd: (b) => void batches.push(b), onEpochEnd: async (e, logs) => void epochs.push([e, { ...logs }]) },
    });
    // 8 training sequences in batches of 4: 2 batches per epoch
    expect(batches).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(epochs.map(([e]) => e)).toEqual([0, 1, 2]);
    const v = await model.evaluate(x.slice(8), y.slice(8));
    expect(h.history.val_loss[2]).toBeCloseTo(v.loss, 12);
    expect(h.history.val_accuracy[2]).toBe(v.accuracy);
    const t = await model.evaluate(x.slice(0, 8), y.slice(0, 8));
    expect(h.history.accuracy[2]).toBe(t.accuracy);
    expect(model.steps).toBe(6);
    model.destroy();
  });

  it('an aborted signal stops fit after the batch in flight, with the history so far', async () => {
    const device = await gpu();
    const model = createModel(device, { cell: 'rnn', hidden: 3, input: { features: 1 }, output: { regression: 1 } });
    const { x } = data(6, 3, 1, 4);
    const y = x.map((s) => s[2][0]);
    const ac = new AbortController();
    const h = await model.fit(x, y, { epochs: 5, batchSize: 2, signal: ac.signal, callbacks: { onBatchEnd: () => ac.abort() } });
    expect(h.aborted).toBe(true);
    // the first batch's loss aborts; the steps already submitted (at most the epoch's 3) complete
    expect(model.steps).toBeLessThanOrEqual(3);
    expect(h.epoch).toEqual([0]);
    model.destroy();
  });

  it('bad options and data are refused by name before any GPU work', async () => {
    const device = await gpu();
    const model = createModel(device, { hidden: 3, input: { features: 2 }, output: { regression: 1 } });
    const { x, y } = data(4, 3, 2, 5);
    const yLast = y.map((s) => s[2]);
    const before = liveMemory(device);
    const refuse = async (p: Promise<unknown>, field: string) => {
      const e = await p.then(() => null, (e) => e);
      expect(e).toBeInstanceOf(BpttError);
      expect((e as BpttError).field).toBe(field);
    };
    await refuse(model.fit(x, yLast, { epochs: 0 }), 'epochs');
    await refuse(model.fit(x, yLast, { batchSize: 1.5 }), 'batchSize');
    await refuse(model.fit(x, yLast, { validationSplit: 1 }), 'validationSplit');
    await refuse(model.fit(x, yLast, { validationSplit: 0.5, validationData: [x, yLast] }), 'validationSplit');
    await refuse(model.fit(x, yLast, { optimizer: { kind: 'adam', lr: -1 } }), 'optimizer.lr');
    await refuse(model.fit(x, y, {}), 'y[0]'); // per-step targets to a many-to-one head
    await refuse(model.fit(x, yLast, { validationData: [x, [1, 2]] }), 'validationData.y');
    await refuse(model.fit([[1, 2, 3]], [1]), 'x[0][0]'); // token ids to a dense model
    expect(liveMemory(device)).toEqual(before);
    model.destroy();
  });
});
