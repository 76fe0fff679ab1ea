// Model files: save → load resumes exactly (weights, Adam state, step); a
// weights-only file resumes with a fresh optimizer; the file's tensors are
// exactly PyTorch's state dict (optimizer state in the metadata); a state dict
// PyTorch wrote loads and predicts what PyTorch computed; CLI checkpoints
// (optimizer as optim.* tensors) load.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gpu, maxAbs } from './gpu';
import { createModel, loadModel } from '../src/api/model';
import { checkSpec, modelConfig, type ModelSpec } from '../src/api/spec';
import { decodeSafetensors } from '../src/model/safetensors';
import { saveCheckpoint } from '../src/model/checkpoint';
import { initWeights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';

const spec: ModelSpec = { cell: 'lstm', layers: 2, hidden: 4, input: { features: 2 }, output: { regression: 1 } };
const rng = createRng(5);
const x = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => [rng.normal(), rng.normal()]));
const y = x.map((s) => s[2][0] - s[0][1]);
const fitOpts = { batchSize: 3, shuffle: false, optimizer: { kind: 'adam' as const, lr: 0.05 } };

async function weightsOf(m: ReturnType<typeof createModel>): Promise<Float32Array> {
  const w = await m.getWeights();
  return Float32Array.from(Object.keys(w).sort().flatMap((k) => Array.from(w[k])));
}

describe('Model.save / loadModel', () => {
  it('resumes exactly: weights, Adam state and step carry over (the same as never stopping)', async () => {
    const device = await gpu();
    const a = createModel(device, spec, { seed: 1 });
    await a.fit(x, y, { ...fitOpts, epochs: 2 });
    const bytes = await a.save();
    const b = loadModel(device, bytes);
    expect(b.steps).toBe(4);
    expect(maxAbs(await weightsOf(b), await weightsOf(a))).toBe(0);
    await a.fit(x, y, { ...fitOpts, epochs: 1 });
    await b.fit(x, y, { ...fitOpts, epochs: 1 });
    const d = maxAbs(await weightsOf(b), await weightsOf(a));
    console.log('resumed vs uninterrupted after 2 more Adam steps: max |Δw|', d);
    expect(d).toBe(0);
    expect(b.steps).toBe(6);
    // without an optimizer argument, a loaded model continues with the saved one (Adam, lr 0.05)
    const c = loadModel(device, bytes);
    await c.fit(x, y, { batchSize: 3, shuffle: false, epochs: 1 });
    expect(maxAbs(await weightsOf(c), await weightsOf(a))).toBeLessThan(1e-6);
    for (const m of [a, b, c]) m.destroy();
  });

  it('a weights-only file resumes with a fresh optimizer (the same as a new model from those weights)', async () => {
    const device = await gpu();
    const a = createModel(device, spec, { seed: 2 });
    await a.fit(x, y, { ...fitOpts, epochs: 1 });
    const weightsOnly = await a.save({ optimizer: false });
    expect(decodeSafetensors(weightsOnly).metadata.model_optimizer).toBeUndefined();
    const b = loadModel(device, weightsOnly);
    const fresh = createModel(device, spec, { weights: await a.getWeights() });
    await b.fit(x, y, { ...fitOpts, epochs: 1 });
    await fresh.fit(x, y, { ...fitOpts, epochs: 1 });
    expect(maxAbs(await weightsOf(b), await weightsOf(fresh))).toBe(0);
    // and differs from continuing with the saved Adam moments
    await a.fit(x, y, { ...fitOpts, epochs: 1 });
    expect(maxAbs(await weightsOf(b), await weightsOf(a))).toBeGreaterThan(1e-4);
    for (const m of [a, b, fresh]) m.destroy();
  });

  it("the file's tensors are exactly PyTorch's state dict; the optimizer state is in the metadata", async () => {
    const device = await gpu();
    const a = createModel(device, spec, { seed: 3 });
    await a.fit(x, y, { ...fitOpts, epochs: 1 });
    const { tensors, metadata } = decodeSafetensors(await a.save());
    // nn.LSTM(2, 4, num_layers=2) as `rnn`, nn.Linear(4, 1) as `fc`: the names and shapes PyTorch's state_dict() has
    const want: Record<string, number[]> = {
      'rnn.weight_ih_l0': [16, 2], 'rnn.weight_hh_l0': [16, 4], 'rnn.bias_ih_l0': [16], 'rnn.bias_hh_l0': [16],
      'rnn.weight_ih_l1': [16, 4], 'rnn.weight_hh_l1': [16, 4], 'rnn.bias_ih_l1': [16], 'rnn.bias_hh_l1': [16],
      'fc.weight': [1, 4], 'fc.bias': [1],
    };
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual(want);
    const opt = JSON.parse(metadata.model_optimizer);
    expect([opt.kind, opt.lr, opt.step]).toEqual(['adam', 0.05, 2]);
    expect(JSON.parse(metadata.model_spec)).toEqual(checkSpec(spec));
    a.destroy();
  });

  it('a state dict PyTorch wrote (no metadata) loads with its spec and predicts what PyTorch computed', async () => {
    const device = await gpu();
    const dir = new URL('./golden/model-api/', import.meta.url);
    const bytes = new Uint8Array(readFileSync(new URL('torch-lstm2.safetensors', dir)));
    const g = JSON.parse(readFileSync(new URL('torch-lstm2.json', dir), 'utf8'));
    const e = (() => {
      try {
        loadModel(device, bytes);
      } catch (err) {
        return err as BpttError;
      }
    })();
    expect(e).toBeInstanceOf(BpttError);
    expect(e!.message).toContain('needs options.spec');
    const m = loadModel(device, bytes, { spec: g.spec });
    const out = await m.predict(g.x);
    const err = maxAbs(out.data, (g.outputs as number[][][]).flat(2));
    console.log('PyTorch-written LSTM state dict: max |ours − torch|', err);
    expect(err).toBeLessThan(1e-5);
    m.destroy();
  });

  it("a CLI checkpoint (Adagrad state as optim.* tensors) loads with its optimizer state", async () => {
    const device = await gpu();
    const s: ModelSpec = { cell: 'gru', hidden: 3, input: { tokens: 4 }, output: { classes: 4 }, returnSequences: true };
    const config = modelConfig(checkSpec(s));
    const w = initWeights(config, createRng(1));
    const s1 = initWeights(config, createRng(2));
    for (const k of Object.keys(s1)) s1[k] = s1[k].map(Math.abs);
    const bytes = saveCheckpoint({ config, weights: w, step: 9, optimizer: { kind: 'adagrad', step: 9, s1 } });
    const m = loadModel(device, bytes); // the spec from the file's config, an output at every step
    expect(m.spec).toEqual(checkSpec(s));
    expect(m.steps).toBe(9);
    expect(maxAbs(await weightsOf(m), Float32Array.from(Object.keys(w).sort().flatMap((k) => Array.from(w[k]))))).toBe(0);
    const bad = (() => {
      try {
        loadModel(device, bytes, { spec: { ...s, hidden: 5 } });
      } catch (err) {
        return err as BpttError;
      }
    })();
    expect(bad).toBeInstanceOf(BpttError);
    expect(bad!.field).toBe('model file config.hidden');
    m.destroy();
  });
});
