// Checkpoints for every cell and depth: PyTorch's state-dict names
// (rnn.weight_ih_l{k} … for nn.RNN / nn.LSTM / nn.GRU, fc.* or d2l's
// linear.* for the output layer), a bit-exact round trip with optimizer
// state, and every malformed file or metadata field refused with a BpttError
// that names it. The expected names and shapes are written out here from
// PyTorch's documentation, not taken from the code under test.
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { makeBatch } from './fixtures';
import { BpttError } from '../src/errors';
import { validateConfig, type CellKind, type RnnConfig } from '../src/model/config';
import { initWeights, type Weights } from '../src/model/params';
import { saveCheckpoint, loadCheckpoint, type CheckpointData } from '../src/model/checkpoint';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/model/safetensors';
import { Trainer } from '../src/engine/trainer';
import { createRng } from '../src/util/rng';

const V = 5, H = 3;
const cfg = (cell: CellKind, layers: number, bias = true): RnnConfig =>
  validateConfig({ cell, layers, input: 'tokens', inputSize: V, hidden: H, outputSize: V, activation: 'tanh', bias, loss: 'softmax-xent' });

/** PyTorch's state dict of nn.RNN/LSTM/GRU(V, H, layers) as `rnn` plus nn.Linear(H, V) as `fc`: name → shape. */
function torchStateDict(cell: CellKind, layers: number, bias = true): Record<string, number[]> {
  const G = { rnn: 1, lstm: 4, gru: 3 }[cell];
  const out: Record<string, number[]> = {};
  for (let k = 0; k < layers; k++) {
    out[`rnn.weight_ih_l${k}`] = [G * H, k === 0 ? V : H];
    out[`rnn.weight_hh_l${k}`] = [G * H, H];
    if (bias) {
      out[`rnn.bias_ih_l${k}`] = [G * H];
      out[`rnn.bias_hh_l${k}`] = [G * H];
    }
  }
  out['fc.weight'] = [V, H];
  if (bias) out['fc.bias'] = [V];
  return out;
}

/** Float32 bits of every tensor, for bit-exact comparison (−0 ≠ +0, every NaN payload distinct). */
const bits = (w: Weights) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));

/** Optimizer-like state with awkward values: −0, a subnormal, the largest float, tiny and huge. */
function awkward(w: Weights, seed: number): Weights {
  const rng = createRng(seed);
  const specials = [-0, 1e-40, 3.4028234663852886e38, 1e-30, -7.5e20];
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float32Array.from(v, (_, i) => (i < specials.length ? specials[i] : rng.normal()))]));
}

/** A safetensors file written by hand (not by encodeSafetensors): header object, then the tensors' bytes. */
function rawFile(header: Record<string, unknown>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

/** Re-encode a file after editing its tensors and metadata. */
function edit(bytes: Uint8Array, f: (t: Record<string, NamedTensor>, m: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  f(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
}

function throwsBpttError(f: () => unknown, message: RegExp) {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BpttError);
  expect((caught as Error).message).toMatch(message);
}

const shapes = [['rnn', 1], ['rnn', 2], ['lstm', 1], ['lstm', 2], ['gru', 1], ['gru', 2]] as const;

function sample(cell: CellKind, layers: number, bias = true): CheckpointData {
  const c = cfg(cell, layers, bias);
  const weights = initWeights(c, createRng(layers * 10 + cell.length));
  const vocab = ['<unk>', ' ', 'a', 'b', 'c'];
  return { config: c, weights, optimizer: { kind: 'adam', step: 17, s1: awkward(weights, 1), s2: awkward(weights, 2) }, vocab, step: 42 };
}

describe('checkpoint names and round trip, every cell × 1 and 2 layers', () => {
  for (const [cell, layers] of shapes) {
    it(`${cell} × ${layers}: PyTorch's names and shapes, bit-exact with Adam state, metadata with cell and layers`, () => {
      const d = sample(cell, layers);
      const bytes = saveCheckpoint(d);
      const { tensors, metadata } = decodeSafetensors(bytes);
      const sd = torchStateDict(cell, layers);
      const want: Record<string, number[]> = { ...sd };
      for (const s of ['s1', 's2']) for (const [k, shape] of Object.entries(sd)) if (!(cell === 'rnn' && layers === 1 && k === 'rnn.bias_hh_l0')) want[`optim.${s}.${k}`] = shape;
      expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual(want);
      const config = JSON.parse(metadata.config);
      expect(config.cell).toBe(cell);
      expect(config.layers).toBe(layers);
      if (cell === 'rnn' && layers === 1) {
        // the chapter's names in memory; PyTorch's second bias saved as zeros
        expect(Array.from(tensors['rnn.weight_hh_l0'].data)).toEqual(Array.from(d.weights.W_hh));
        expect(Array.from(tensors['rnn.bias_hh_l0'].data)).toEqual([0, 0, 0]);
      } else {
        // the engine's per-layer names are PyTorch's, under the module `rnn`
        for (let k = 0; k < layers; k++) expect(Array.from(tensors[`rnn.weight_hh_l${k}`].data)).toEqual(Array.from(d.weights[`weight_hh_l${k}`]));
        expect(Array.from(tensors[`rnn.bias_hh_l${layers - 1}`].data)).toEqual(Array.from(d.weights[`bias_hh_l${layers - 1}`]));
      }
      expect(Array.from(tensors['fc.weight'].data)).toEqual(Array.from(d.weights.W_qh));

      const back = loadCheckpoint(bytes, cfg(cell, layers));
      expect(back.config).toEqual(cfg(cell, layers));
      expect(bits(back.weights)).toEqual(bits(d.weights));
      expect(bits(back.optimizer!.s1!)).toEqual(bits(d.optimizer!.s1!));
      expect(bits(back.optimizer!.s2!)).toEqual(bits(d.optimizer!.s2!));
      expect(back.optimizer!.kind).toBe('adam');
      expect(back.optimizer!.step).toBe(17);
      expect(back.step).toBe(42);
      expect(back.vocab).toEqual(d.vocab);
      // and without an expected config: the file says what it is
      expect(loadCheckpoint(bytes).config).toEqual(cfg(cell, layers));
    });

    it(`${cell} × ${layers}: d2l's output layer name linear.* loads the same`, () => {
      const d = sample(cell, layers);
      const renamed = edit(saveCheckpoint(d), (t) => {
        for (const k of Object.keys(t)) {
          const m = /^(optim\.s\d\.)?fc\.(.*)$/.exec(k);
          if (m) {
            t[`${m[1] ?? ''}linear.${m[2]}`] = t[k];
            delete t[k];
          }
        }
      });
      expect(Object.keys(decodeSafetensors(renamed).tensors).filter((k) => k.includes('fc.'))).toEqual([]);
      const back = loadCheckpoint(renamed, cfg(cell, layers));
      expect(bits(back.weights)).toEqual(bits(d.weights));
      expect(bits(back.optimizer!.s2!)).toEqual(bits(d.optimizer!.s2!));
    });

    it(`${cell} × ${layers}: a wrong shape, a missing tensor, a missing optimizer tensor, a stray tensor: refused, naming it`, () => {
      const c = cfg(cell, layers);
      const good = saveCheckpoint(sample(cell, layers));
      const top = `l${layers - 1}`;
      const G = { rnn: 1, lstm: 4, gru: 3 }[cell];
      const wrong = edit(good, (t) => (t[`rnn.weight_hh_${top}`] = { shape: [G * H * H], data: t[`rnn.weight_hh_${top}`].data }));
      throwsBpttError(() => loadCheckpoint(wrong, c), new RegExp(`rnn\\.weight_hh_${top}\\.shape = \\[${G * H * H}\\]: must be \\[${G * H},${H}\\]`));
      const missing = edit(good, (t) => delete t[`rnn.weight_ih_${top}`]);
      throwsBpttError(() => loadCheckpoint(missing, c), new RegExp(`checkpoint: rnn\\.weight_ih_${top} = missing`));
      const missingOpt = edit(good, (t) => delete t[`optim.s2.rnn.weight_ih_${top}`]);
      throwsBpttError(() => loadCheckpoint(missingOpt, c), new RegExp(`checkpoint: optim\\.s2\\.rnn\\.weight_ih_${top} = missing`));
      const missingFc = edit(good, (t) => delete t['fc.bias']);
      throwsBpttError(() => loadCheckpoint(missingFc, c), /checkpoint: fc\.bias or linear\.bias = missing/);
      const stray = edit(good, (t) => (t[`rnn.weight_hh_l${layers}`] = { shape: [G * H, H], data: new Float32Array(G * H * H) }));
      throwsBpttError(() => loadCheckpoint(stray, c), new RegExp(`checkpoint: rnn\\.weight_hh_l${layers} = \\[${G * H},${H}\\]: is not a tensor of this model \\(cell ${cell}, ${layers} layer`));
      const both = edit(good, (t) => (t['linear.weight'] = t['fc.weight']));
      throwsBpttError(() => loadCheckpoint(both, c), /checkpoint: fc\.weight and linear\.weight = both present/);
      const nan = edit(good, (t) => (t[`rnn.bias_ih_${top}`].data[1] = NaN));
      throwsBpttError(() => loadCheckpoint(nan, c), new RegExp(`rnn\\.bias_ih_${top}\\[1\\] = NaN: must be finite`));
    });
  }

  it('without biases: no bias tensors at all, round trip bit-exact', () => {
    for (const [cell, layers] of shapes) {
      const d = sample(cell, layers, false);
      const bytes = saveCheckpoint(d);
      const names = Object.keys(decodeSafetensors(bytes).tensors).filter((k) => !k.startsWith('optim.'));
      expect(names.sort()).toEqual(Object.keys(torchStateDict(cell, layers, false)).sort());
      expect(bits(loadCheckpoint(bytes, cfg(cell, layers, false)).weights)).toEqual(bits(d.weights));
    }
  });

  it('a plain PyTorch LSTM state dict (no metadata, linear.*) loads with the expected config', () => {
    const c = cfg('lstm', 2);
    const sd = torchStateDict('lstm', 2);
    const rng = createRng(5);
    const tensors: Record<string, NamedTensor> = {};
    for (const [k, shape] of Object.entries(sd)) {
      const name = k.replace(/^fc\./, 'linear.');
      tensors[name] = { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()) };
    }
    const back = loadCheckpoint(encodeSafetensors(tensors, { format: 'pt' }), c);
    expect(Array.from(back.weights.weight_ih_l1)).toEqual(Array.from(tensors['rnn.weight_ih_l1'].data));
    expect(Array.from(back.weights.bias_hh_l0)).toEqual(Array.from(tensors['rnn.bias_hh_l0'].data));
    expect(Array.from(back.weights.W_qh)).toEqual(Array.from(tensors['linear.weight'].data));
    expect(Array.from(back.weights.b_q)).toEqual(Array.from(tensors['linear.bias'].data));
    expect(back.optimizer).toBeUndefined();
    // the same file is not a GRU, nor a one-layer LSTM
    throwsBpttError(() => loadCheckpoint(encodeSafetensors(tensors), cfg('gru', 2)), /rnn\.weight_ih_l0\.shape = \[12,5\]: must be \[9,5\]/);
    throwsBpttError(() => loadCheckpoint(encodeSafetensors(tensors), cfg('lstm', 1)), /checkpoint: rnn\.bias_hh_l1 = \[12\]: is not a tensor of this model \(cell lstm, 1 layer\)/);
  });

  it("the chapter's model: a PyTorch nn.RNN with linear.* and two biases loads as b_h = b_ih + b_hh", () => {
    const c = cfg('rnn', 1);
    const w = initWeights(c, createRng(8));
    const bhh = Float32Array.from({ length: H }, (_, i) => 0.25 * (i + 1)); // exact in f32, so the sum is checkable
    const bih = Float32Array.from(w.b_h, (v, i) => v - bhh[i]);
    const bytes = encodeSafetensors({
      'rnn.weight_ih_l0': { shape: [H, V], data: w.W_hx }, 'rnn.weight_hh_l0': { shape: [H, H], data: w.W_hh },
      'rnn.bias_ih_l0': { shape: [H], data: bih }, 'rnn.bias_hh_l0': { shape: [H], data: bhh },
      'linear.weight': { shape: [V, H], data: w.W_qh }, 'linear.bias': { shape: [V], data: w.b_q },
    });
    const back = loadCheckpoint(bytes, c);
    back.weights.b_h.forEach((v, i) => expect(v).toBe(Math.fround(bih[i] + bhh[i])));
    expect(Array.from(back.weights.W_qh)).toEqual(Array.from(w.W_qh));
  });

  it('a checkpoint written before cells and layers (config without them) loads as one rnn layer', () => {
    const c = cfg('rnn', 1);
    const w = initWeights(c, createRng(3));
    const old = { input: 'tokens', inputSize: V, hidden: H, outputSize: V, activation: 'tanh', bias: true, loss: 'softmax-xent' };
    const bytes = encodeSafetensors({
      'rnn.weight_ih_l0': { shape: [H, V], data: w.W_hx }, 'rnn.weight_hh_l0': { shape: [H, H], data: w.W_hh },
      'rnn.bias_ih_l0': { shape: [H], data: w.b_h }, 'rnn.bias_hh_l0': { shape: [H], data: new Float32Array(H) },
      'fc.weight': { shape: [V, H], data: w.W_qh }, 'fc.bias': { shape: [V], data: w.b_q },
    }, { format: 'webgpu-bptt/1', config: JSON.stringify(old), step: '7' });
    const back = loadCheckpoint(bytes);
    expect(back.config.cell).toBe('rnn');
    expect(back.config.layers).toBe(1);
    expect(back.step).toBe(7);
    expect(bits(back.weights)).toEqual(bits(w));
    expect(loadCheckpoint(bytes, c).config).toEqual(c);
    throwsBpttError(() => loadCheckpoint(bytes, cfg('gru', 1)), /checkpoint config\.cell = "rnn": does not match the model's "gru"/);
    throwsBpttError(() => loadCheckpoint(bytes, cfg('rnn', 2)), /checkpoint config\.layers = 1: does not match the model's 2/);
  });
});

describe('malformed metadata: a BpttError naming the field, never a TypeError', () => {
  const c = cfg('gru', 2);
  const good = () => saveCheckpoint(sample('gru', 2));
  /** The good file's header with its __metadata__ replaced. */
  const withMetadata = (meta: unknown) => {
    const b = good();
    const n = Number(new DataView(b.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
    header.__metadata__ = meta;
    return rawFile(header, b.subarray(8 + n));
  };
  const meta = () => decodeSafetensors(good()).metadata;
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['config is a JSON object, not a string', () => withMetadata({ ...meta(), config: JSON.parse(meta().config) }), /^checkpoint __metadata__\.config = \{"cell":"gru".*: must be a string/],
    ['step is a number, not a string', () => withMetadata({ ...meta(), step: 42 }), /^checkpoint __metadata__\.step = 42: must be a string/],
    ['__metadata__ is an array', () => withMetadata(['config']), /^checkpoint __metadata__ = array\(1\): must be a JSON object/],
    ['__metadata__ is a string', () => withMetadata('config'), /^checkpoint __metadata__ = "config": must be a JSON object/],
    ['__metadata__ is null', () => withMetadata(null), /^checkpoint __metadata__ = null: must be a JSON object/],
    ['config is not JSON', () => withMetadata({ ...meta(), config: '{cell: gru' }), /^checkpoint metadata\.config = "\{cell: gru": is not valid JSON/],
    ['config is JSON null', () => withMetadata({ ...meta(), config: 'null' }), /^checkpoint config = null: must be an object/],
    ['config has an unknown cell', () => withMetadata({ ...meta(), config: JSON.stringify({ ...JSON.parse(meta().config), cell: 'transformer' }) }), /^checkpoint config\.cell = "transformer": must be one of "rnn", "lstm", "gru"/],
    ['config has 0 layers', () => withMetadata({ ...meta(), config: JSON.stringify({ ...JSON.parse(meta().config), layers: 0 }) }), /^checkpoint config\.layers = 0: must be an integer in \[1, 8\]/],
    ['config has hidden as a string', () => withMetadata({ ...meta(), config: JSON.stringify({ ...JSON.parse(meta().config), hidden: '3' }) }), /^checkpoint config\.hidden = "3": must be an integer/],
    ['step is not an integer', () => withMetadata({ ...meta(), step: 'ten' }), /^checkpoint metadata\.step = "ten": must be an integer ≥ 0/],
    ['step is negative', () => withMetadata({ ...meta(), step: '-1' }), /^checkpoint metadata\.step = "-1": must be an integer ≥ 0/],
    ['optimizer is unknown', () => withMetadata({ ...meta(), optimizer: 'rmsprop' }), /^checkpoint metadata\.optimizer = "rmsprop": must be one of "sgd", "adagrad", "adam"/],
    ['optimizer_step is fractional', () => withMetadata({ ...meta(), optimizer_step: '1.5' }), /^checkpoint metadata\.optimizer_step = "1\.5": must be an integer ≥ 0/],
    ['vocab is not JSON', () => withMetadata({ ...meta(), vocab: '[a, b' }), /^checkpoint metadata\.vocab = "\[a, b": is not valid JSON/],
    ['vocab is an object', () => withMetadata({ ...meta(), vocab: '{"a":1}' }), /^checkpoint metadata\.vocab = object: must be an array of the model's 5 tokens/],
    ['vocab has the wrong length', () => withMetadata({ ...meta(), vocab: '["a","b"]' }), /^checkpoint metadata\.vocab = 2 tokens: must be an array of the model's 5 tokens/],
    ['vocab has a number', () => withMetadata({ ...meta(), vocab: '["a","b","c","d",5]' }), /^checkpoint metadata\.vocab\[4\] = 5: must be a string/],
    ['no config and no expected config', () => withMetadata({ step: '1' }), /^checkpoint metadata\.config = missing: needed to know the model/],
    ['a tensor entry is null', () => rawFile({ __metadata__: meta(), 'fc.weight': null }), /^checkpoint: fc\.weight = null: must be an object with dtype, shape and data_offsets/],
    ['a tensor entry is a number', () => rawFile({ 'fc.weight': 3 }), /^checkpoint: fc\.weight = 3: must be an object with dtype, shape and data_offsets/],
  ];
  for (const [name, make, msg] of cases) {
    it(name, () => {
      const bytes = make();
      // the config-free case has no expected config; the others are checked both ways
      throwsBpttError(() => loadCheckpoint(bytes), msg);
      if (!name.startsWith('no config')) throwsBpttError(() => loadCheckpoint(bytes, c), msg);
    });
  }
});

describe('saveCheckpoint refuses what it could not load back', () => {
  const c = cfg('lstm', 2);
  const d = () => sample('lstm', 2);
  const cases: [string, () => CheckpointData, RegExp][] = [
    ['a missing weight', () => { const x = d(); delete x.weights.weight_hh_l1; return x; }, /^checkpoint\.weights\.weight_hh_l1 = undefined: must be a Float32Array/],
    ['a short weight', () => { const x = d(); x.weights.bias_ih_l0 = new Float32Array(3); return x; }, /^checkpoint\.weights\.bias_ih_l0 = length 3: must have 1×12 = 12 elements/],
    ['a NaN weight', () => { const x = d(); x.weights.W_qh[2] = NaN; return x; }, /^checkpoint\.weights\.W_qh\[2\] = NaN: must be finite/],
    ['Adam without its second moment', () => { const x = d(); delete x.optimizer!.s2; return x; }, /^checkpoint\.optimizer\.s2 = undefined: must be an object/],
    ['an unknown optimizer', () => ({ ...d(), optimizer: { kind: 'rmsprop' as never, step: 0 } }), /^checkpoint\.optimizer\.kind = "rmsprop": must be one of/],
    ['a fractional step', () => ({ ...d(), step: 1.5 }), /^checkpoint\.step = 1\.5: must be an integer ≥ 0/],
    ['a vocabulary of the wrong size', () => ({ ...d(), vocab: ['a'] }), /^checkpoint\.vocab = 1 tokens: must be an array of the model's 5 tokens/],
    ['extra metadata that would overwrite the config', () => ({ ...d(), extra: { config: '{}' } }), /^checkpoint\.extra\.config = "\{\}": is reserved/],
    ['extra metadata that is not a string', () => ({ ...d(), extra: { note: 5 as never } }), /^checkpoint\.extra\.note = 5: must be a string/],
    ['a bad config', () => ({ ...d(), config: { ...c, cell: 'tree' as never } }), /^checkpoint\.config\.cell = "tree": must be one of/],
  ];
  for (const [name, make, msg] of cases) it(name, () => throwsBpttError(() => saveCheckpoint(make()), msg));
});

describe('a stacked model resumes from its checkpoint on the GPU', () => {
  it('rnn × 2 layers, Adam: save → load → resume continues bit-identically', async () => {
    const device = await gpu();
    const c = cfg('rnn', 2);
    const opts = { config: c, batch: 2, steps: 3, optimizer: { kind: 'adam' as const, lr: 0.01 }, seed: 3 };
    const tr = new Trainer(device, opts);
    for (let i = 0; i < 2; i++) await tr.step(makeBatch(c, 2, 3, i));
    const snap = await tr.snapshot();
    const back = loadCheckpoint(saveCheckpoint({ config: snap.config, weights: snap.weights, optimizer: snap.optimizer, step: snap.calls }), c);
    expect(bits(back.weights)).toEqual(bits(snap.weights));
    const tr2 = Trainer.resume(device, opts, { config: back.config, calls: back.step, weights: back.weights, optimizer: back.optimizer! });
    const b = makeBatch(c, 2, 3, 9);
    await tr.step({ ...b, state: 'reset' });
    await tr2.step({ ...b, state: 'reset' });
    expect(bits(await tr2.weights())).toEqual(bits(await tr.weights()));
    tr.destroy();
    tr2.destroy();
  });
});

describe('bytes from anywhere: a Node Buffer, non-ASCII metadata', () => {
  it('a checkpoint read from a Buffer (a view, not a copy) with a non-ASCII header gives back exactly the saved weights', () => {
    const c = validateConfig({ input: 'tokens', inputSize: 5, hidden: 3, outputSize: 5, activation: 'tanh', bias: true, loss: 'softmax-xent' });
    const weights = initWeights(c, createRng(3));
    // 'ch. I–II' (an en dash: 3 bytes in UTF-8, 1 in UTF-16) once put the data at byte 2 mod 4 and,
    // read through a Buffer, every tensor at byte 0 of the file (the demo's NaN in a downloaded file)
    const bytes = saveCheckpoint({ config: c, weights, step: 1, extra: { data: 'ch. I–II', note: '시간 여행자' } });
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const inside = Buffer.concat([Buffer.from('padding!'), Buffer.from(bytes)]).subarray(8); // a Buffer at an offset in a larger pool
    for (const from of [Buffer.from(bytes), inside]) {
      const back = loadCheckpoint(from, c);
      for (const [name, t] of Object.entries(weights)) expect(Array.from(back.weights[name])).toEqual(Array.from(t));
      expect(back.extra?.data).toBe('ch. I–II');
    }
  });
});
