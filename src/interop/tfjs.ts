// Import a TF.js Layers model (model.json + its weight files) as a spec, the
// engine's config and weights in PyTorch's names and layouts, ready to train
// and predict. Keras's layouts: kernel [in, G·H], recurrent_kernel [H, G·H]
// (x W, not W x: transposed here), gate order LSTM i, f, c, o (= PyTorch's i,
// f, g, o), GRU z, r, h (→ PyTorch's r, z, n), one bias (the input side; the
// recurrent side is zero) or two for GRU reset_after ([2, 3H]: input, recurrent).
// An Embedding(V, E) in front makes a token model: layer 0's input weights
// become W_ih · tableᵀ (G·H × V), the same function of the token (the
// engine's inputs are one-hot), trained from there unfactorized.
// Everything is checked (tfjs-topology.ts, then each weight's name and shape
// and each file's length) before any weight array is allocated.
import { GATES, validateConfig, type ModelConfig } from '../model/config';
import { layerNames, paramShapes, type Weights } from '../model/params';
import { checkSpec, type CheckedSpec } from '../api/spec';
import { BpttError, show } from '../errors';
import { planTfjs, MAX_MODEL_JSON_BYTES, MAX_IMPORT_FLOATS, type ManifestEntry, type TfjsPlan } from './tfjs-topology';

export { MAX_IMPORT_DIM, MAX_IMPORT_FLOATS, MAX_MODEL_JSON_BYTES, checkWeightPath } from './tfjs-topology';

/** What TF.js saved: model.json (text, bytes or parsed) and the weight files by the manifest's paths. */
export interface TfjsFiles {
  modelJson: string | Uint8Array | object;
  /** e.g. { 'model.weights.bin': bytes } ('./' prefixes are ignored). */
  files: Readonly<Record<string, Uint8Array>>;
}

/** An imported model. */
export interface ImportedModel {
  spec: CheckedSpec;
  config: ModelConfig;
  /** PyTorch's names and layouts (see paramShapes). */
  weights: Weights;
  returnSequences: boolean;
}

/** Parse model.json text or bytes (size-checked); objects pass through. */
export function parseModelJson(m: TfjsFiles['modelJson']): unknown {
  if (typeof m === 'object' && !(m instanceof Uint8Array)) return m;
  const n = typeof m === 'string' ? m.length : m.byteLength;
  if (n > MAX_MODEL_JSON_BYTES) throw new BpttError('model.json', `${n} bytes`, `must be at most ${MAX_MODEL_JSON_BYTES} bytes`);
  try {
    return JSON.parse(typeof m === 'string' ? m : new TextDecoder().decode(m));
  } catch (e) {
    throw new BpttError('model.json', typeof m === 'string' ? show(m) : `${n} bytes`, `is not valid JSON (${(e as Error).message})`);
  }
}

/** Check a model.json and list the weight files it needs, with the bytes each group's files must hold together. */
export function tfjsWeightFiles(modelJson: TfjsFiles['modelJson']): { paths: string[]; bytes: number }[] {
  return planTfjs(parseModelJson(modelJson)).groups;
}

/** The weights the plan expects, in manifest order: [what, shape]. */
function expectedWeights(p: TfjsPlan): [string, number[]][] {
  const G = GATES[p.cell], H = p.hidden, out: [string, number[]][] = [];
  if (p.embedding) out.push(['embeddings', [p.embedding.vocab, p.embedding.dim]]);
  for (let l = 0; l < p.layers; l++) {
    out.push(['kernel', [l === 0 ? p.inputSize : H, G * H]], ['recurrent_kernel', [H, G * H]]);
    if (p.rnnBias[l]) out.push(['bias', p.cell === 'gru' ? [2, G * H] : [G * H]]);
  }
  out.push(['kernel', [H, p.outputSize]]);
  if (p.denseBias) out.push(['bias', [p.outputSize]]);
  return out;
}

/** PyTorch's gate block k is Keras's block KERAS_BLOCK[k]. */
const KERAS_BLOCK = { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] } as const;

/**
 * Import a TF.js Layers model. Throws a BpttError naming the field (layer,
 * manifest entry or file) for anything unsupported or malformed, before any
 * weight is allocated.
 */
export function importTfjs(src: TfjsFiles): ImportedModel {
  if (typeof src !== 'object' || src === null) throw new BpttError('source', show(src), 'must be { modelJson, files }');
  const p = planTfjs(parseModelJson(src.modelJson));
  // every manifest weight where the topology expects it, name and shape
  const want = expectedWeights(p);
  if (p.entries.length !== want.length) {
    throw new BpttError('model.json weightsManifest', `${p.entries.length} weights`, `must list the model's ${want.length} weights (${want.map(([n, s]) => `${n} [${s}]`).join(', ')})`);
  }
  p.entries.forEach((e, i) => {
    const [what, shape] = want[i];
    const last = e.name.split('/').pop();
    if (last !== what) throw new BpttError(`model.json weightsManifest weight ${i} (${show(e.name)})`, show(last), `must be the ${what} of its layer (manifest order: layer by layer)`);
    if (e.shape.length !== shape.length || e.shape.some((n, k) => n !== shape[k])) throw new BpttError(`model.json weightsManifest weight ${i} (${show(e.name)}).shape`, JSON.stringify(e.shape), `must be ${JSON.stringify(shape)}`);
  });
  const spec = checkSpec(
    {
      cell: p.cell, layers: p.layers, hidden: p.hidden, activation: p.activation,
      bias: p.rnnBias.some(Boolean) || p.denseBias,
      input: p.embedding ? { tokens: p.embedding.vocab } : { features: p.inputSize },
      output: p.head === 'softmax' ? { classes: p.outputSize } : { regression: p.outputSize },
      returnSequences: p.returnSequences,
    },
    'imported spec',
  );
  const config = validateConfig({
    cell: spec.cell, layers: spec.layers, input: p.embedding ? 'tokens' : 'dense', inputSize: p.embedding ? p.embedding.vocab : p.inputSize, hidden: p.hidden, outputSize: p.outputSize,
    activation: spec.activation, bias: spec.bias, loss: p.head === 'softmax' ? 'softmax-xent' : 'mse',
  });
  // what the engine's weights will take (an Embedding's V × E table becomes layer 0's G·H × V)
  const floats = paramShapes(config).reduce((a, [, r, c]) => a + r * c, 0);
  if (floats > MAX_IMPORT_FLOATS) throw new BpttError('model.json modelTopology', `${floats} parameters`, `would need ${((floats * 4) / 2 ** 30).toFixed(2)} GiB: an imported model may have at most ${MAX_IMPORT_FLOATS} (${(MAX_IMPORT_FLOATS * 4) >> 20} MiB)`);
  // every file present, each group's bytes exactly what its weights need
  const files = obj(src.files);
  const data = p.groups.map((g, gi) => {
    let bytes = 0;
    for (const path of g.paths) {
      const f = files[path] ?? files[`./${path}`];
      if (!(f instanceof Uint8Array)) throw new BpttError(`weight file ${show(path)}`, f === undefined ? 'missing' : show(f), 'must be given (the bytes of the file the manifest names)');
      bytes += f.byteLength;
    }
    if (bytes !== g.bytes) {
      throw new BpttError(`weight file${g.paths.length > 1 ? 's' : ''} ${g.paths.map((x) => show(x)).join(' + ')}`, `${bytes} bytes`, `must be exactly ${g.bytes} bytes (${g.bytes / 4} float32, the manifest's group ${gi}): the file is ${bytes < g.bytes ? 'short' : 'too long'}`);
    }
    return g.paths.map((path) => (files[path] ?? files[`./${path}`]) as Uint8Array);
  });
  // checks done: read the float32s and lay them out
  const read = (e: ManifestEntry) => readFloats(data[e.group], e.offset, e.size);
  return { spec, config, weights: mapWeights(p, config, p.entries.map(read)), returnSequences: p.returnSequences };
}

function obj(files: unknown): Record<string, unknown> {
  if (typeof files !== 'object' || files === null) throw new BpttError('files', show(files), 'must be an object of file name → bytes');
  return files as Record<string, unknown>;
}

/** `size` little-endian float32s at byte `offset` of the concatenation of `parts`. */
function readFloats(parts: Uint8Array[], offset: number, size: number): Float32Array {
  const out = new Float32Array(size);
  const bytes = new Uint8Array(out.buffer);
  let skip = offset, at = 0;
  for (const part of parts) {
    if (at === bytes.length) break;
    if (skip >= part.byteLength) {
      skip -= part.byteLength;
      continue;
    }
    const n = Math.min(part.byteLength - skip, bytes.length - at);
    bytes.set(part.subarray(skip, skip + n), at);
    at += n;
    skip = 0;
  }
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
    const v = new DataView(out.buffer);
    for (let i = 0; i < size; i++) out[i] = v.getFloat32(i * 4, true);
  }
  return out;
}

/** A (rows, E) · tableᵀ, table (V, E) → (rows, V), accumulated in float64. */
function times(A: Float32Array, rows: number, E: number, table: Float32Array, V: number): Float32Array {
  const out = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let e = 0; e < E; e++) s += A[r * E + e] * table[v * E + e];
      out[r * V + v] = s;
    }
  }
  return out;
}

/** Keras tensors (manifest order) → the engine's weights. */
function mapWeights(p: TfjsPlan, c: ModelConfig, t: Float32Array[]): Weights {
  const H = p.hidden, G = GATES[p.cell], blocks = KERAS_BLOCK[p.cell];
  const w: Weights = {};
  // (in, G·H) Keras → (G·H, in) PyTorch, gate blocks reordered
  const gates = (k: Float32Array, inSize: number) => {
    const out = new Float32Array(G * H * inSize);
    for (let g = 0; g < G; g++) for (let j = 0; j < H; j++) for (let i = 0; i < inSize; i++) out[(g * H + j) * inSize + i] = k[i * G * H + blocks[g] * H + j];
    return out;
  };
  const biasOf = (b: Float32Array, row: number) => {
    const out = new Float32Array(G * H);
    for (let g = 0; g < G; g++) for (let j = 0; j < H; j++) out[g * H + j] = b[row * G * H + blocks[g] * H + j];
    return out;
  };
  let at = 0;
  const table = p.embedding ? t[at++] : undefined;
  for (let l = 0; l < p.layers; l++) {
    const n = layerNames(c, l), inSize = l === 0 ? p.inputSize : H;
    const wih = gates(t[at++], inSize);
    // after an Embedding (V, E): x = one-hot(v) · table, so layer 0's input weights are W_ih · tableᵀ, (G·H, V)
    w[n.W_ih] = l === 0 && table ? times(wih, G * H, inSize, table, p.embedding!.vocab) : wih;
    w[n.W_hh] = gates(t[at++], H);
    const b = p.rnnBias[l] ? t[at++] : undefined;
    if (n.b_ih) w[n.b_ih] = b ? biasOf(b, 0) : new Float32Array(G * H);
    if (n.b_hh) w[n.b_hh] = b && p.cell === 'gru' ? biasOf(b, 1) : new Float32Array(G * H);
  }
  const k = t[at++], Q = p.outputSize;
  const Wq = new Float32Array(Q * H);
  for (let q = 0; q < Q; q++) for (let j = 0; j < H; j++) Wq[q * H + j] = k[j * Q + q];
  w.W_qh = Wq;
  if (c.bias) w.b_q = p.denseBias ? t[at++] : new Float32Array(Q);
  return w;
}
