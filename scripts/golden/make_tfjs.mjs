// Golden files for the TF.js Layers importer (test/tfjs-import.test.ts):
// small Sequential models built and run by TF.js (cpu backend, in Node),
// saved as model.save('downloads://') writes them — model.json (topology and
// weightsManifest, paths ['./model.weights.bin']) and model.weights.bin — into
// test/golden/tfjs/<name>/, with TF.js's predictions on fixed inputs in
// expected.json ({ input: [B][T][d] (or [B][T] token ids), output: [B][Q] or [B][T][Q] }).
//
// GRU with reset_after = true (the Keras 2 default, cuDNN's form, PyTorch's
// GRU): TF.js refuses to build it ("GRUCell does not support reset_after
// parameter set to true", tfjs issues #4621 and #5728). Those files are what
// Keras writes for one (the same model.json with "reset_after": true and a
// bias of shape [2, 3·units]: row 0 the input bias, row 1 the recurrent bias;
// gate order z, r, h), and their predictions are Keras's equations computed
// with TF.js ops:
//   z = σ(x Wz + bz + h Uz + rz);  r = σ(x Wr + br + h Ur + rr)
//   hh = tanh(x Wh + bh + r ⊙ (h Uh + rh));  h' = z ⊙ h + (1 − z) ⊙ hh
// gru_reset_before is a real TF.js GRU (reset_after = false): the importer
// refuses it by name.
//
// Run: node scripts/golden/make_tfjs.mjs   (deterministic: fixed weights and inputs)
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

await tf.setBackend('cpu');
const OUT = join(import.meta.dirname, '..', '..', 'test', 'golden', 'tfjs');
const B = 3, T = 5, D = 3, H = 4;

// a fixed pseudo-random stream (LCG), so the files do not change between runs
let state = 12345;
const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const uniform = (shape, scale) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * rand() - 1) * scale), shape);

function input() {
  return uniform([B, T, D], 1);
}

/** Give every weight of `model` fixed values (the same stream every run). */
function fixWeights(model) {
  model.setWeights(model.getWeights().map((w) => uniform(w.shape, 0.6)));
}

async function save(name, model, x, y, patch) {
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })));
  let weightData = new Uint8Array(artifacts.weightData);
  if (patch) ({ weightData } = patch(artifacts, weightData));
  // exactly what browserDownloads ('downloads://model') writes (tfjs-core's getModelJSONForModelArtifacts)
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: ['./model.weights.bin'], weights: artifacts.weightSpecs }],
  };
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'model.weights.bin'), weightData);
  writeFileSync(join(dir, 'expected.json'), JSON.stringify({ input: await x.array(), output: await y.array() }));
  console.log(`${name}: ${weightData.length} bytes of weights, output ${JSON.stringify(y.shape)}`);
}

function rnnLayer(kind, opts) {
  const common = { units: H, recurrentActivation: 'sigmoid', kernelInitializer: 'zeros', recurrentInitializer: 'zeros', ...opts };
  if (kind === 'SimpleRNN') delete common.recurrentActivation;
  return tf.layers[kind === 'SimpleRNN' ? 'simpleRNN' : kind === 'LSTM' ? 'lstm' : 'gru'](common);
}

async function plain(name, layers) {
  const model = tf.sequential({ layers });
  fixWeights(model);
  const x = input();
  await save(name, model, x, model.predict(x));
}

await plain('simplernn', [rnnLayer('SimpleRNN', { inputShape: [T, D] }), tf.layers.dense({ units: 2 })]);
await plain('simplernn_relu_seq', [rnnLayer('SimpleRNN', { inputShape: [null, D], activation: 'relu', returnSequences: true }), tf.layers.dense({ units: 2 })]);
await plain('lstm_softmax', [rnnLayer('LSTM', { inputShape: [T, D] }), tf.layers.dense({ units: 3, activation: 'softmax' })]);
await plain('lstm_seq', [rnnLayer('LSTM', { inputShape: [T, D], returnSequences: true }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) })]);
await plain('lstm_stacked', [
  rnnLayer('LSTM', { inputShape: [T, D], returnSequences: true }),
  rnnLayer('LSTM', { returnSequences: true }),
  rnnLayer('LSTM', {}),
  tf.layers.dense({ units: 2 }),
]);
await plain('lstm_nobias', [rnnLayer('LSTM', { inputShape: [T, D], useBias: false }), tf.layers.dense({ units: 2, useBias: false })]);
await plain('simplernn_stacked_seq', [rnnLayer('SimpleRNN', { inputShape: [T, D], returnSequences: true }), rnnLayer('SimpleRNN', { returnSequences: true }), tf.layers.dense({ units: 2 })]);
await plain('gru_reset_before', [rnnLayer('GRU', { inputShape: [T, D] }), tf.layers.dense({ units: 2 })]);

/** A stack of GRUs with reset_after = true, as Keras writes it, and Keras's predictions in TF.js ops. */
async function gruResetAfter(name, layers, returnSequences, timeDistributed) {
  // the topology TF.js writes for the same stack, then "reset_after": true and bias [2, 3H]
  const model = tf.sequential({
    layers: [
      ...Array.from({ length: layers }, (_, l) => rnnLayer('GRU', { ...(l === 0 ? { inputShape: [T, D] } : {}), returnSequences: l < layers - 1 || returnSequences })),
      timeDistributed ? tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }) : tf.layers.dense({ units: 2 }),
    ],
  });
  const grus = Array.from({ length: layers }, (_, l) => ({ kernel: uniform([l === 0 ? D : H, 3 * H], 0.6), recurrent: uniform([H, 3 * H], 0.6), bias: uniform([2, 3 * H], 0.6) }));
  const dense = { kernel: uniform([H, 2], 0.6), bias: uniform([2], 0.6) };
  const x = input();
  // Keras's GRU (reset_after = true), step by step
  let seq = x; // [B, T, in]
  for (const g of grus) {
    const [Wz, Wr, Wh] = tf.split(g.kernel, 3, 1), [Uz, Ur, Uh] = tf.split(g.recurrent, 3, 1);
    const [bi, br] = tf.unstack(g.bias);
    const [biz, bir, bih] = tf.split(bi, 3), [brz, brr, brh] = tf.split(br, 3);
    let h = tf.zeros([B, H]);
    const outs = [];
    for (const xt of tf.unstack(seq, 1)) {
      const z = tf.sigmoid(tf.add(tf.add(tf.matMul(xt, Wz), biz), tf.add(tf.matMul(h, Uz), brz)));
      const r = tf.sigmoid(tf.add(tf.add(tf.matMul(xt, Wr), bir), tf.add(tf.matMul(h, Ur), brr)));
      const hh = tf.tanh(tf.add(tf.add(tf.matMul(xt, Wh), bih), tf.mul(r, tf.add(tf.matMul(h, Uh), brh))));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
      outs.push(h);
    }
    seq = tf.stack(outs, 1);
  }
  const top = returnSequences ? seq : tf.unstack(seq, 1)[T - 1];
  const y = tf.add(tf.matMul(top.reshape([-1, H]), dense.kernel), dense.bias).reshape(returnSequences ? [B, T, 2] : [B, 2]);
  const tensors = [...grus.flatMap((g) => [g.kernel, g.recurrent, g.bias]), dense.kernel, dense.bias];
  await save(name, model, x, y, (artifacts) => {
    for (const layer of artifacts.modelTopology.config.layers) if (layer.class_name === 'GRU') layer.config.reset_after = true;
    artifacts.weightSpecs.forEach((s, i) => (s.shape = tensors[i].shape));
    const data = tensors.flatMap((t) => Array.from(t.dataSync()));
    return { weightData: new Uint8Array(Float32Array.from(data).buffer) };
  });
}

await gruResetAfter('gru_reset_after', 1, false, false);
await gruResetAfter('gru_stacked_seq', 2, true, true);

// token models: Embedding(V, E) in front (input [B][T] ids)
async function embedded(name, layers) {
  const model = tf.sequential({ layers });
  fixWeights(model);
  const x = tf.tensor(Array.from({ length: B * T }, () => Math.floor(rand() * 6)), [B, T], 'int32');
  await save(name, model, x, model.predict(x));
}
await embedded('embedding_lstm', [tf.layers.embedding({ inputDim: 6, outputDim: 3, inputLength: T }), rnnLayer('LSTM', { returnSequences: true }), tf.layers.dense({ units: 6, activation: 'softmax' })]);
