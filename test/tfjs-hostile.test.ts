// Malformed and hostile TF.js models are refused with a BpttError naming the
// field, before any weight is read or allocated: unknown layers and
// activations (and the GRU TF.js itself writes, reset_after = false), weight
// files shorter or longer than the manifest says, shapes that would need
// gigabytes, manifest paths that leave the folder (.., absolute, URLs, a
// symbolic link out). The weight bytes handed in are a Uint8Array whose
// contents cannot be read (subarray throws), so a refusal shows nothing was read.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTfjs } from '../src/interop/tfjs';
import { readTfjsFolder } from '../src/interop/tfjs-node';
import { BpttError } from '../src/errors';

const GOLDEN = join(import.meta.dirname, 'golden', 'tfjs');
type Json = { modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }; weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] };
const model = (name: string): Json => JSON.parse(readFileSync(join(GOLDEN, name, 'model.json'), 'utf8'));
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(GOLDEN, name, 'model.weights.bin')));

/** Bytes whose length can be seen but whose contents cannot be read. */
class Unreadable extends Uint8Array {
  override subarray(): never {
    throw new Error('the weight bytes were read');
  }
}
const unreadable = (n: number) => ({ 'model.weights.bin': new Unreadable(n) });

function refused(f: () => unknown, msg: RegExp) {
  let e: unknown;
  try {
    f();
  } catch (x) {
    e = x;
  }
  expect(e, `expected a BpttError matching ${msg}`).toBeInstanceOf(BpttError);
  expect((e as Error).message).toMatch(msg);
  return (e as Error).message;
}

describe('refused by name, nothing read', () => {
  const n = bytesOf('lstm_seq').length;
  const edit = (f: (m: Json) => void, name = 'lstm_seq') => {
    const m = model(name);
    f(m);
    return m;
  };
  const cases: [string, Json, RegExp][] = [
    ['an unknown layer', edit((m) => (m.modelTopology.config.layers[1].class_name = 'Conv1D')), /layers\[1\]\.class_name = "Conv1D": is not a supported layer: must be one of InputLayer, Embedding, SimpleRNN, LSTM, GRU, Dense, TimeDistributed/],
    ['an unknown activation (LSTM)', edit((m) => (m.modelTopology.config.layers[0].config.activation = 'swish')), /layers\[0\]\.config\.activation = "swish": is not supported for LSTM: must be "tanh"/],
    ['an unknown activation (SimpleRNN)', edit((m) => (m.modelTopology.config.layers[0].config.activation = 'gelu'), 'simplernn'), /activation = "gelu": is not supported for SimpleRNN: must be "tanh", "relu" or "linear"/],
    ["TF.js's default hard_sigmoid gates", edit((m) => (m.modelTopology.config.layers[0].config.recurrent_activation = 'hard_sigmoid')), /recurrent_activation = "hard_sigmoid": is not supported: must be "sigmoid".*recurrentActivation: 'sigmoid'/],
    ['a relu output layer', edit((m) => (m.modelTopology.config.layers[1].config.activation = 'relu'), 'lstm_softmax'), /layers\[1\]\.config\.activation = "relu": is not supported on the output layer: must be "linear" \(regression\) or "softmax" \(classes\)/],
    ['an Embedding masking token 0', edit((m) => (m.modelTopology.config.layers[0].config.mask_zero = true), 'embedding_lstm'), /layers\[0\]\.config\.mask_zero = true: is not supported: give each sequence's length instead/],
    ['an Embedding after a recurrent layer', edit((m) => m.modelTopology.config.layers.splice(1, 0, { ...m.modelTopology.config.layers[0] }), 'embedding_lstm'), /layers\[1\]\.class_name = "Embedding": must be the first layer/],
    ['a reversed layer', edit((m) => (m.modelTopology.config.layers[0].config.go_backwards = true)), /go_backwards = true: is not supported/],
    ['layers of different widths', edit((m) => (m.modelTopology.config.layers[1].config.units = 8), 'lstm_stacked'), /layers\[1\]\.config\.units = 8: must equal the first recurrent layer's units \(4\)/],
    ['units beyond the limit', edit((m) => (m.modelTopology.config.layers[0].config.units = 1e9)), /layers\[0\]\.config\.units = 1000000000: must be an integer in \[1, 65536\]/],
    ['a functional model', edit((m) => ((m.modelTopology as unknown as Record<string, unknown>).class_name = 'Functional')), /modelTopology\.class_name = "Functional": must be "Sequential"/],
    ['quantized weights', edit((m) => ((m.weightsManifest[0].weights[0] as unknown as Record<string, unknown>).quantization = { dtype: 'uint8' })), /weights\[0\]\.quantization = given: quantized weights are not imported/],
    ['a float16 weight', edit((m) => (m.weightsManifest[0].weights[0].dtype = 'float16')), /weights\[0\]\.dtype = "float16": must be "float32"/],
    ['a weight of the wrong shape', edit((m) => (m.weightsManifest[0].weights[1].shape = [4, 12])), /weight 1 \("lstm_LSTM\d+\/recurrent_kernel"\)\.shape = \[4,12\]: must be \[4,16\]/],
    ['weights out of order', edit((m) => m.weightsManifest[0].weights.reverse()), /weight 0 .*: must be the kernel of its layer/],
  ];
  for (const [what, json, msg] of cases) {
    it(what, () => {
      console.log(`${what}: ${refused(() => importTfjs({ modelJson: JSON.stringify(json), files: unreadable(n) }), msg)}`);
    });
  }

  it('the GRU TF.js writes (reset_after = false) is refused by name', () => {
    const msg = refused(() => readTfjsFolder(join(GOLDEN, 'gru_reset_before', 'model.json')), /layers\[0\]\.config\.reset_after = false: GRU with reset_after = false is not supported: .*use reset_after = true/);
    console.log(`reset_after = false: ${msg}`);
  });

  it('weight files shorter or longer than the manifest says', () => {
    const json = JSON.stringify(model('lstm_seq'));
    for (const delta of [-4, -1, 1, 4]) {
      const msg = refused(() => importTfjs({ modelJson: json, files: unreadable(n + delta) }), new RegExp(`^weight file "model\\.weights\\.bin" = ${n + delta} bytes: must be exactly ${n} bytes \\(${n / 4} float32, the manifest's group 0\\): the file is ${delta < 0 ? 'short' : 'too long'}`));
      if (delta === -4) console.log(`short file: ${msg}`);
    }
    refused(() => importTfjs({ modelJson: json, files: {} }), /^weight file "model\.weights\.bin" = missing: must be given/);
  });

  it('shapes that would need gigabytes', () => {
    const m = model('lstm_seq');
    m.weightsManifest[0].weights[0].shape = [60000, 60000];
    const msg = refused(() => importTfjs({ modelJson: JSON.stringify(m), files: unreadable(n) }), /weights\[0\]\.shape = \[60000,60000\]: would need 13\.41 GiB: the weights may hold at most 67108864 float32 \(256 MiB\)/);
    console.log(`gigabytes: ${msg}`);
    // an Embedding whose table is small but whose engine weights (G·H × V) would not be:
    // 1200·60000 + 1200·300 + 2·1200 + 6·300 + 6 = 72,364,206 floats
    const e = model('embedding_lstm');
    const [emb, lstm, dense] = e.modelTopology.config.layers;
    emb.config.input_dim = 60000;
    lstm.config.units = 300;
    dense.config.units = 6;
    const shapes = [[60000, 3], [3, 1200], [300, 1200], [1200], [300, 6], [6]];
    e.weightsManifest[0].weights.forEach((w, i) => (w.shape = shapes[i]));
    const floats = shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    refused(() => importTfjs({ modelJson: JSON.stringify(e), files: unreadable(floats * 4) }), /^model\.json modelTopology = 72364206 parameters: would need 0\.27 GiB: an imported model may have at most 67108864 \(256 MiB\)/);
    // many small weights adding up: 32 × 2 Mi floats is the limit, the 33rd passes it
    const many = model('lstm_seq');
    many.weightsManifest[0].weights = Array.from({ length: 40 }, (_, i) => ({ name: `w${i}/kernel`, shape: [2048, 1024], dtype: 'float32' }));
    refused(() => importTfjs({ modelJson: JSON.stringify(many), files: unreadable(n) }), /weights\[32\]\.shape = \[2048,1024\]: would need 0\.26 GiB/);
  });

  it('manifest paths that leave the folder', () => {
    const paths = ['../model.weights.bin', '/etc/passwd', 'https://example.com/w.bin', 'file:///etc/passwd', 'sub/../../w.bin', '..\\w.bin', 'C:/w.bin', '', './'];
    for (const p of paths) {
      const m = model('lstm_seq');
      m.weightsManifest[0].paths = [p];
      const msg = refused(() => importTfjs({ modelJson: JSON.stringify(m), files: { [p]: new Unreadable(n) } }), /weightsManifest\[0\]\.paths\[0\] = .*: must be (a file inside the model\.json folder|a relative file name)/);
      if (p === '../model.weights.bin') console.log(`path: ${msg}`);
    }
  });

  it('malformed model.json', () => {
    refused(() => importTfjs({ modelJson: '{"modelTopology": ', files: {} }), /^model\.json = .*: is not valid JSON/);
    refused(() => importTfjs({ modelJson: '[]', files: {} }), /^model\.json = array\(0\): must be an object/);
    refused(() => importTfjs({ modelJson: '{"modelTopology": {"class_name": "Sequential", "config": {"layers": []}}}', files: {} }), /config\.layers = array\(0\): must be a non-empty array/);
  });
});

describe('a folder on disk (Node)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tfjs-hostile-'));
  const dir = join(root, 'model');
  mkdirSync(dir);
  writeFileSync(join(root, 'secret.bin'), bytesOf('lstm_seq'));

  it('a symbolic link out of the folder is refused before it is read', () => {
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model('lstm_seq')));
    symlinkSync(join(root, 'secret.bin'), join(dir, 'model.weights.bin'));
    refused(() => readTfjsFolder(join(dir, 'model.json')), /^weight file "model\.weights\.bin" = .*secret\.bin: must be inside the model\.json folder/);
  });

  it('a short file on disk is refused from its size', () => {
    const d2 = join(root, 'short');
    mkdirSync(d2);
    copyFileSync(join(GOLDEN, 'lstm_seq', 'model.json'), join(d2, 'model.json'));
    writeFileSync(join(d2, 'model.weights.bin'), bytesOf('lstm_seq').subarray(0, 100));
    refused(() => readTfjsFolder(join(d2, 'model.json')), /^weight file "model\.weights\.bin" = 100 bytes: must be exactly 552 bytes .*: the file is short/);
  });

  it('a missing model.json or weight file', () => {
    refused(() => readTfjsFolder(join(root, 'absent', 'model.json')), /^model\.json = .*absent\/model\.json: cannot be read/);
    const d3 = join(root, 'nofile');
    mkdirSync(d3);
    copyFileSync(join(GOLDEN, 'lstm_seq', 'model.json'), join(d3, 'model.json'));
    refused(() => readTfjsFolder(join(d3, 'model.json')), /^weight file "model\.weights\.bin" = .*: cannot be read/);
  });
});
