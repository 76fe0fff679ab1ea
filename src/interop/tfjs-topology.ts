// Reading a TF.js Layers model.json (as model.save('downloads://') or
// tf.io.withSaveHandler write it, or tensorflowjs_converter from Keras):
// the Sequential topology and the weights manifest, every field checked,
// nothing allocated. tfjs.ts maps the weights.
//
// Supported: [InputLayer], [Embedding], SimpleRNN | LSTM | GRU (one kind, 1–8 layers of
// the same units), then Dense or TimeDistributed(Dense) with activation
// linear (regression) or softmax (classes). LSTM/GRU need activation tanh and
// recurrent_activation sigmoid; GRU needs reset_after = true (PyTorch's GRU).
import { CELLS, MAX_LAYERS, type Activation, type CellKind } from '../model/config';
import { BpttError, show } from '../errors';

/** The most units (H), inputs (d) or outputs (Q) an imported model may have. */
export const MAX_IMPORT_DIM = 1 << 16;
/** The most float32 weights an import reads (256 MiB). */
export const MAX_IMPORT_FLOATS = 1 << 26;
/** The largest model.json read. */
export const MAX_MODEL_JSON_BYTES = 32 << 20;

/** One weight of the manifest: where its float32s are. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  /** Index of its group in weightsManifest. */
  group: number;
  /** Byte offset in the group's concatenated files. */
  offset: number;
  /** Floats. */
  size: number;
}

export interface ManifestGroup {
  /** The files, normalized (no './'), in order. */
  paths: string[];
  /** Bytes the group's files hold together. */
  bytes: number;
}

/** A checked model.json. */
export interface TfjsPlan {
  cell: CellKind;
  layers: number;
  hidden: number;
  /** d of the first recurrent layer's kernel (E after an Embedding). */
  inputSize: number;
  /** Embedding(V, E) in front: token inputs; layer 0's input weights become (E-table · kernel)ᵀ, (G·H, V). */
  embedding?: { vocab: number; dim: number };
  activation: Activation;
  /** Per recurrent layer, whether it has a bias; then the Dense. */
  rnnBias: boolean[];
  denseBias: boolean;
  outputSize: number;
  head: 'linear' | 'softmax';
  returnSequences: boolean;
  /** The manifest's weights in order, and their groups. */
  entries: ManifestEntry[];
  groups: ManifestGroup[];
}

const KERAS_CELL: Record<string, CellKind> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };
const KNOWN_LAYERS = ['InputLayer', 'Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Dense', 'TimeDistributed'];
const RNN_ACTIVATIONS: Record<string, Activation> = { tanh: 'tanh', relu: 'relu', linear: 'identity' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(field: string, v: unknown): Obj {
  if (!isObj(v)) throw new BpttError(field, show(v), 'must be an object');
  return v;
}

function dim(field: string, v: unknown, max = MAX_IMPORT_DIM): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new BpttError(field, show(v), `must be an integer in [1, ${max}]`);
  return v;
}

function flag(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new BpttError(field, show(v), 'must be true or false');
  return v;
}

/** Keras names activations in snake_case; TF.js's own JSON sometimes in camelCase. */
function activationName(field: string, v: unknown, dflt: string): string {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string') throw new BpttError(field, show(v), 'must be an activation name');
  return v === 'hardSigmoid' ? 'hard_sigmoid' : v;
}

/**
 * A weight file path from the manifest, normalized: relative to model.json's
 * folder, inside it. Refused: absolute paths, URLs, '..', backslashes, empty
 * segments, characters outside [A-Za-z0-9._-].
 */
export function checkWeightPath(field: string, p: unknown): string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 255) throw new BpttError(field, show(p), 'must be a relative file name of 1 to 255 characters');
  const why = 'must be a file inside the model.json folder (a relative path without "..", no URL, no absolute path)';
  const q = p.startsWith('./') ? p.slice(2) : p;
  const segments = q.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9._-]+$/.test(s))) throw new BpttError(field, show(p), why);
  return q;
}

function inputShape(field: string, cfg: Obj): number | undefined {
  const shape = cfg.batch_input_shape ?? cfg.batch_shape ?? cfg.batchInputShape;
  if (shape === undefined || shape === null) return undefined;
  if (!Array.isArray(shape) || shape.length !== 3) throw new BpttError(`${field}.batch_input_shape`, show(shape), 'must be [batch, steps, features] (a sequence of feature vectors)');
  return dim(`${field}.batch_input_shape[2]`, shape[2]);
}

/** Check a parsed model.json; nothing is allocated. */
export function planTfjs(json: unknown): TfjsPlan {
  const root = obj('model.json', json);
  let topo = obj('model.json modelTopology', root.modelTopology);
  if (topo.model_config !== undefined) topo = obj('model.json modelTopology.model_config', topo.model_config);
  const F = 'model.json modelTopology';
  if (topo.class_name !== 'Sequential') throw new BpttError(`${F}.class_name`, show(topo.class_name), 'must be "Sequential" (a functional Model is not imported)');
  const cfg = topo.config;
  const layerList = Array.isArray(cfg) ? cfg : isObj(cfg) ? cfg.layers : undefined;
  if (!Array.isArray(layerList) || layerList.length === 0) throw new BpttError(`${F}.config.layers`, show(layerList), 'must be a non-empty array of layers');
  if (layerList.length > MAX_LAYERS + 2) throw new BpttError(`${F}.config.layers`, `${layerList.length} layers`, `must be at most ${MAX_LAYERS} recurrent layers, an InputLayer and a Dense`);

  let cell: CellKind | undefined, hidden = 0, inputSize: number | undefined, activation: Activation = 'tanh';
  const rnnBias: boolean[] = [];
  let rnnSeq = false, dense: { units: number; bias: boolean; head: 'linear' | 'softmax' } | undefined;
  let embedding: { vocab: number; dim: number } | undefined, inputLayer = false;
  layerList.forEach((layer, i) => {
    const L = `${F}.config.layers[${i}]`;
    const lo = obj(L, layer);
    const cls = lo.class_name;
    if (typeof cls !== 'string' || !KNOWN_LAYERS.includes(cls)) throw new BpttError(`${L}.class_name`, show(cls), `is not a supported layer: must be one of ${KNOWN_LAYERS.join(', ')}`);
    const c = obj(`${L}.config`, lo.config);
    if (dense) throw new BpttError(`${L}.class_name`, show(cls), 'must not follow the Dense output layer (the model ends with one Dense)');
    if (cls === 'Embedding') {
      if (cell !== undefined || embedding || !(i === 0 || (i === 1 && inputLayer))) throw new BpttError(`${L}.class_name`, '"Embedding"', 'must be the first layer (after an InputLayer)');
      if (flag(`${L}.config.mask_zero`, c.mask_zero, false)) throw new BpttError(`${L}.config.mask_zero`, 'true', 'is not supported: give each sequence\'s length instead (lengths) of masking token 0');
      embedding = { vocab: dim(`${L}.config.input_dim`, c.input_dim), dim: dim(`${L}.config.output_dim`, c.output_dim) };
      inputSize = embedding.dim;
      return;
    }
    if (i === 0 || cls === 'InputLayer') {
      if (cls === 'InputLayer' && i !== 0) throw new BpttError(`${L}.class_name`, '"InputLayer"', 'must be the first layer');
      if (cls === 'InputLayer') {
        inputLayer = true;
        // [batch, steps] feeds an Embedding (token ids); [batch, steps, d] a recurrent layer
        const shape = c.batch_input_shape ?? c.batch_shape ?? c.batchInputShape;
        if (Array.isArray(shape) && shape.length === 2) return;
      }
      const d = inputShape(L, c);
      if (d !== undefined) inputSize = d;
      if (cls === 'InputLayer') return;
    }
    if (cls === 'Dense' || cls === 'TimeDistributed') {
      if (cell === undefined) throw new BpttError(`${L}.class_name`, show(cls), 'must come after the recurrent layers (SimpleRNN, LSTM or GRU)');
      let dc = c, DL = L;
      if (cls === 'TimeDistributed') {
        const inner = obj(`${L}.config.layer`, c.layer);
        if (inner.class_name !== 'Dense') throw new BpttError(`${L}.config.layer.class_name`, show(inner.class_name), 'must be "Dense" (TimeDistributed(Dense) is the every-step output layer)');
        if (!rnnSeq) throw new BpttError(`${L}.class_name`, '"TimeDistributed"', 'needs return_sequences = true on the last recurrent layer');
        dc = obj(`${L}.config.layer.config`, inner.config);
        DL = `${L}.config.layer`;
      }
      const units = dim(`${DL}.config.units`, dc.units);
      const act = activationName(`${DL}.config.activation`, dc.activation, 'linear');
      if (act !== 'linear' && act !== 'softmax') throw new BpttError(`${DL}.config.activation`, show(act), 'is not supported on the output layer: must be "linear" (regression) or "softmax" (classes)');
      if (act === 'softmax' && units < 2) throw new BpttError(`${DL}.config.units`, String(units), 'a softmax output needs at least 2 classes');
      dense = { units, bias: flag(`${DL}.config.use_bias`, dc.use_bias, true), head: act };
      return;
    }
    // a recurrent layer
    const kind = KERAS_CELL[cls];
    if (cell !== undefined && kind !== cell) throw new BpttError(`${L}.class_name`, show(cls), `must be the same cell as the layers below (${cell}): one cell kind per model`);
    if (cell !== undefined && !rnnSeq) throw new BpttError(`${F}.config.layers[${i - 1}].config.return_sequences`, 'false', 'must be true below another recurrent layer');
    if (rnnBias.length === MAX_LAYERS) throw new BpttError(`${L}`, `recurrent layer ${MAX_LAYERS + 1}`, `at most ${MAX_LAYERS} recurrent layers`);
    cell = kind;
    const units = dim(`${L}.config.units`, c.units);
    if (hidden && units !== hidden) throw new BpttError(`${L}.config.units`, String(units), `must equal the first recurrent layer's units (${hidden}): every layer has the same H`);
    hidden = units;
    for (const k of ['go_backwards', 'stateful', 'return_state', 'time_major'] as const) {
      if (flag(`${L}.config.${k}`, c[k], false)) throw new BpttError(`${L}.config.${k}`, 'true', 'is not supported (forward, stateless recurrent layers returning their outputs only)');
    }
    const act = activationName(`${L}.config.activation`, c.activation, 'tanh');
    if (kind === 'rnn') {
      const a = RNN_ACTIVATIONS[act];
      if (!a) throw new BpttError(`${L}.config.activation`, show(act), 'is not supported for SimpleRNN: must be "tanh", "relu" or "linear"');
      if (rnnBias.length > 0 && a !== activation) throw new BpttError(`${L}.config.activation`, show(act), 'must be the same in every SimpleRNN layer');
      activation = a;
    } else {
      if (act !== 'tanh') throw new BpttError(`${L}.config.activation`, show(act), `is not supported for ${cls}: must be "tanh" (PyTorch's ${cls})`);
      const ra = activationName(`${L}.config.recurrent_activation`, c.recurrent_activation, 'hard_sigmoid');
      if (ra !== 'sigmoid') throw new BpttError(`${L}.config.recurrent_activation`, show(ra), `is not supported: must be "sigmoid" (PyTorch's gates; ${ra === 'hard_sigmoid' ? "hard_sigmoid is TF.js's default: build with recurrentActivation: 'sigmoid'" : 'other gate functions have no PyTorch equivalent'})`);
    }
    if (kind === 'gru' && c.reset_after !== true) {
      throw new BpttError(`${L}.config.reset_after`, show(c.reset_after ?? false), 'GRU with reset_after = false is not supported: its candidate applies the reset gate before the recurrent matmul, unlike PyTorch\'s GRU; use reset_after = true (the Keras 2 default, cuDNN\'s GRU)');
    }
    rnnSeq = flag(`${L}.config.return_sequences`, c.return_sequences, false);
    rnnBias.push(flag(`${L}.config.use_bias`, c.use_bias, true));
  });
  if (cell === undefined) throw new BpttError(`${F}.config.layers`, 'no recurrent layer', 'must have a SimpleRNN, LSTM or GRU');
  if (!dense) throw new BpttError(`${F}.config.layers`, 'no output layer', 'must end with Dense (or TimeDistributed(Dense))');
  if (inputSize === undefined) throw new BpttError(`${F}.config.layers[0].config.batch_input_shape`, 'missing', 'must give the input features ([null, steps, d])');
  if (!CELLS.includes(cell)) throw new BpttError(`${F}`, cell, 'unknown cell');
  const d = dense as { units: number; bias: boolean; head: 'linear' | 'softmax' };
  const { entries, groups } = planManifest(root.weightsManifest);
  return { cell, layers: rnnBias.length, hidden, inputSize, embedding, activation, rnnBias, denseBias: d.bias, outputSize: d.units, head: d.head, returnSequences: rnnSeq, entries, groups };
}

/** The weights manifest: groups of files, float32 weights, sizes within MAX_IMPORT_FLOATS. */
export function planManifest(m: unknown): { entries: ManifestEntry[]; groups: ManifestGroup[] } {
  const F = 'model.json weightsManifest';
  if (!Array.isArray(m) || m.length === 0 || m.length > 64) throw new BpttError(F, show(m), 'must be an array of 1 to 64 groups { paths, weights }');
  const entries: ManifestEntry[] = [], groups: ManifestGroup[] = [];
  let total = 0;
  m.forEach((g, gi) => {
    const G = `${F}[${gi}]`;
    const go = obj(G, g);
    if (!Array.isArray(go.paths) || go.paths.length === 0 || go.paths.length > 1024) throw new BpttError(`${G}.paths`, show(go.paths), 'must be an array of 1 to 1024 file names');
    const paths = go.paths.map((p, k) => checkWeightPath(`${G}.paths[${k}]`, p));
    if (!Array.isArray(go.weights) || go.weights.length > 4096) throw new BpttError(`${G}.weights`, show(go.weights), 'must be an array of at most 4096 weights');
    let offset = 0;
    go.weights.forEach((w, wi) => {
      const W = `${G}.weights[${wi}]`;
      const wo = obj(W, w);
      if (typeof wo.name !== 'string') throw new BpttError(`${W}.name`, show(wo.name), 'must be a string');
      if (wo.dtype !== undefined && wo.dtype !== 'float32') throw new BpttError(`${W}.dtype`, show(wo.dtype), 'must be "float32"');
      if (wo.quantization !== undefined) throw new BpttError(`${W}.quantization`, 'given', 'quantized weights are not imported (save unquantized float32)');
      if (!Array.isArray(wo.shape) || wo.shape.length < 1 || wo.shape.length > 2) throw new BpttError(`${W}.shape`, show(wo.shape), 'must be 1 or 2 dimensions');
      const shape = wo.shape.map((n, k) => dim(`${W}.shape[${k}]`, n, MAX_IMPORT_FLOATS));
      const size = shape.reduce((a, b) => a * b, 1);
      total += size;
      if (size > MAX_IMPORT_FLOATS || total > MAX_IMPORT_FLOATS) {
        throw new BpttError(`${W}.shape`, JSON.stringify(shape), `would need ${((total * 4) / 2 ** 30).toFixed(2)} GiB: the weights may hold at most ${MAX_IMPORT_FLOATS} float32 (${(MAX_IMPORT_FLOATS * 4) >> 20} MiB)`);
      }
      entries.push({ name: wo.name, shape, group: gi, offset, size });
      offset += size * 4;
    });
    groups.push({ paths, bytes: offset });
  });
  return { entries, groups };
}
