// Checkpoints: weights (and optimizer state) in safetensors with PyTorch's
// state-dict names, plus metadata (config with cell and layers, vocabulary,
// step). The recurrent module is `rnn` (nn.RNN / nn.LSTM / nn.GRU, as in
// d2l's models), the output layer `fc` (nn.Linear; d2l calls it `linear`,
// which is accepted on load).
//
// The chapter's model (one 'rnn' layer) keeps the chapter's names in memory:
//   W_hx (H, V)  ↔ rnn.weight_ih_l0      W_hh (H, H) ↔ rnn.weight_hh_l0
//   W_qh (Q, H)  ↔ fc.weight             b_q (Q)     ↔ fc.bias
//   b_h (H)      ↔ rnn.bias_ih_l0, with rnn.bias_hh_l0 = 0 on save.
// PyTorch's RNN adds two biases, b_ih + b_hh; the chapter has one, b_h. On
// load, b_h = rnn.bias_ih_l0 + rnn.bias_hh_l0, so checkpoints from PyTorch load
// as the same function.
// Every other model (LSTM, GRU, or more than one layer) already uses PyTorch's
// names per layer k: weight_ih_l{k} ↔ rnn.weight_ih_l{k}, weight_hh_l{k},
// bias_ih_l{k}, bias_hh_l{k} likewise; W_qh ↔ fc.weight, b_q ↔ fc.bias.
//
// Optimizer state is saved as "optim.s1.<name>" and "optim.s2.<name>"
// (Adagrad's Σg²; Adam's m and v) under the same names. A file without cell
// and layers in its config (written before they existed) is one 'rnn' layer.
import { BpttError, show } from '../errors';
import { isChapterModel, validateConfig, type ModelConfig, type RnnConfig } from './config';
import { checkWeights, paramShapes, type ParamName, type Weights } from './params';
import { encodeSafetensors, decodeSafetensors, type NamedTensor } from './safetensors';
import type { OptimizerKind } from '../kernels/clip-update';

/** The chapter model's parameter names → PyTorch's state-dict names (nn.RNN as `rnn`, nn.Linear as `fc`). */
export const TORCH_NAMES: Readonly<Record<'W_hx' | 'W_hh' | 'W_qh' | 'b_h' | 'b_q', string>> = {
  W_hx: 'rnn.weight_ih_l0',
  W_hh: 'rnn.weight_hh_l0',
  W_qh: 'fc.weight',
  b_h: 'rnn.bias_ih_l0',
  b_q: 'fc.bias',
};

/** The output layer's module names a checkpoint may use: ours (`fc`) first, then d2l's (`linear`). */
export const OUTPUT_MODULES = ['fc', 'linear'] as const;

/** The optimizer state tensors each optimizer keeps. */
const STATES: Record<OptimizerKind, readonly ('s1' | 's2')[]> = { sgd: [], adagrad: ['s1'], adam: ['s1', 's2'] };
const RESERVED = ['format', 'config', 'step', 'vocab', 'optimizer', 'optimizer_step'];

/**
 * The PyTorch state-dict name of parameter `name` of model `c`:
 * `rnn.weight_ih_l{k}` … for the recurrent layers, `fc.weight` / `fc.bias`
 * for the output layer (the chapter's model maps W_hx, W_hh, b_h as in
 * TORCH_NAMES).
 */
export function torchName(c: RnnConfig, name: ParamName): string {
  if (name === 'W_qh') return 'fc.weight';
  if (name === 'b_q') return 'fc.bias';
  if (isChapterModel(c)) {
    const t = (TORCH_NAMES as Record<string, string>)[name];
    if (!t) throw new BpttError('parameter', JSON.stringify(name), 'is not a parameter of the chapter model');
    return t;
  }
  return `rnn.${name}`;
}

/** What a checkpoint holds. */
export interface CheckpointData {
  /** The model (cell and layers default to 'rnn' and 1). */
  config: RnnConfig;
  /** The parameters, by the engine's names (see paramShapes). */
  weights: Weights;
  /** Optimizer state, when saved: Adagrad needs s1, Adam s1 and s2. */
  optimizer?: { kind: OptimizerKind; step: number; s1?: Weights; s2?: Weights };
  /** The vocabulary's tokens in id order (character models). */
  vocab?: string[];
  /** Training steps taken. */
  step: number;
  /** Free-form extra metadata. */
  extra?: Record<string, string>;
}

const f32 = (t: Float32Array | Float64Array) => (t instanceof Float32Array ? t : Float32Array.from(t));

function tensorsOf(c: ModelConfig, w: Weights, prefix: string): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const bias = rows === 1 && (name.startsWith('b_') || name.startsWith('bias_'));
    out[prefix + torchName(c, name)] = { shape: bias ? [cols] : [rows, cols], data: f32(w[name]) };
  }
  // PyTorch's second bias of the chapter's one-bias RNN: zero, so b_ih + b_hh = b_h
  if (isChapterModel(c) && c.bias && !prefix) out['rnn.bias_hh_l0'] = { shape: [c.hidden], data: new Float32Array(c.hidden) };
  return out;
}

const nonNegInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Write a checkpoint as safetensors bytes with PyTorch's state-dict names and
 * metadata (config with cell and layers, step, vocabulary, optimizer). Every
 * field is checked first (BpttError naming it). Browser-safe: bytes out.
 */
export function saveCheckpoint(d: CheckpointData): Uint8Array {
  const config = validateConfig(d?.config, 'checkpoint.config');
  const weights = checkWeights(config, d.weights, 'checkpoint.weights') as Weights;
  if (!nonNegInt(d.step)) throw new BpttError('checkpoint.step', show(d.step), 'must be an integer ≥ 0');
  const tensors: Record<string, NamedTensor> = tensorsOf(config, weights, '');
  if (d.optimizer) {
    const o = d.optimizer;
    const kinds = Object.keys(STATES) as OptimizerKind[];
    if (!kinds.includes(o.kind)) throw new BpttError('checkpoint.optimizer.kind', show(o.kind), `must be one of ${kinds.map((k) => JSON.stringify(k)).join(', ')}`);
    if (!nonNegInt(o.step)) throw new BpttError('checkpoint.optimizer.step', show(o.step), 'must be an integer ≥ 0');
    for (const s of STATES[o.kind]) {
      checkWeights(config, o[s], `checkpoint.optimizer.${s}`);
      Object.assign(tensors, tensorsOf(config, o[s]!, `optim.${s}.`));
    }
  }
  if (d.vocab !== undefined) checkVocab(d.vocab, config, 'checkpoint.vocab');
  for (const [k, v] of Object.entries(d.extra ?? {})) {
    if (RESERVED.includes(k)) throw new BpttError(`checkpoint.extra.${k}`, show(v), `is reserved (${RESERVED.join(', ')})`);
    if (typeof v !== 'string') throw new BpttError(`checkpoint.extra.${k}`, show(v), 'must be a string');
  }
  const metadata: Record<string, string> = {
    ...d.extra,
    format: 'webgpu-bptt/1',
    config: JSON.stringify(config),
    step: String(d.step),
    ...(d.vocab ? { vocab: JSON.stringify(d.vocab) } : {}),
    ...(d.optimizer ? { optimizer: d.optimizer.kind, optimizer_step: String(d.optimizer.step) } : {}),
  };
  return encodeSafetensors(tensors, metadata);
}

function checkVocab(vocab: unknown, c: ModelConfig, field: string): string[] {
  if (!Array.isArray(vocab) || vocab.length !== c.inputSize) throw new BpttError(field, Array.isArray(vocab) ? `${vocab.length} tokens` : show(vocab), `must be an array of the model's ${c.inputSize} tokens`);
  const i = vocab.findIndex((t) => typeof t !== 'string');
  if (i >= 0) throw new BpttError(`${field}[${i}]`, show(vocab[i]), 'must be a string');
  return vocab as string[];
}

/** The tensor that holds `key` ("fc.weight" may also be d2l's "linear.weight"), or undefined. */
function find(tensors: Record<string, NamedTensor>, prefix: string, key: string, field: string, used: Set<string>): [string, NamedTensor] | [string, undefined] {
  const [module, rest] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
  const names = module === OUTPUT_MODULES[0] ? OUTPUT_MODULES.map((m) => `${prefix}${m}.${rest}`) : [prefix + key];
  const present = names.filter((n) => tensors[n]);
  if (present.length > 1) throw new BpttError(`${field}: ${present.join(' and ')}`, 'both present', `the output layer is named ${OUTPUT_MODULES.map((m) => `${m}.*`).join(' or ')}, not both`);
  if (present.length === 0) return [names.join(' or '), undefined];
  used.add(present[0]);
  return [present[0], tensors[present[0]]];
}

function readWeights(c: ModelConfig, tensors: Record<string, NamedTensor>, prefix: string, field: string, used: Set<string>): Weights {
  const w: Weights = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const [key, t] = find(tensors, prefix, torchName(c, name), field, used);
    const bias = rows === 1 && (name.startsWith('b_') || name.startsWith('bias_'));
    const shape = bias ? [cols] : [rows, cols];
    if (!t) throw new BpttError(`${field}: ${key}`, 'missing', `the checkpoint has no tensor ${key} (${name}, shape ${JSON.stringify(shape)}) for this model (cell ${c.cell}, ${c.layers} layer${c.layers > 1 ? 's' : ''})`);
    if (JSON.stringify(t.shape) !== JSON.stringify(shape)) throw new BpttError(`${field}: ${key}.shape`, JSON.stringify(t.shape), `must be ${JSON.stringify(shape)} for this model`);
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) throw new BpttError(`${field}: ${key}[${i}]`, String(t.data[i]), 'must be finite');
    w[name] = t.data;
  }
  const hhKey = `${prefix}rnn.bias_hh_l0`;
  if (!prefix && isChapterModel(c) && c.bias && tensors[hhKey]) {
    const hh = tensors[hhKey];
    used.add(hhKey);
    if (JSON.stringify(hh.shape) !== JSON.stringify([c.hidden])) throw new BpttError(`${field}: ${hhKey}.shape`, JSON.stringify(hh.shape), `must be [${c.hidden}]`);
    for (let i = 0; i < hh.data.length; i++) if (!Number.isFinite(hh.data[i])) throw new BpttError(`${field}: ${hhKey}[${i}]`, String(hh.data[i]), 'must be finite');
    w.b_h = w.b_h!.map((v, i) => v + hh.data[i]);
  }
  return w;
}

function metaInt(metadata: Record<string, string>, key: string, field: string): number {
  const v = metadata[key];
  if (v === undefined) return 0;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new BpttError(`${field} metadata.${key}`, show(v), 'must be an integer ≥ 0');
  return Number(v);
}

/**
 * Read a checkpoint (safetensors bytes). With `expect`, the file's config must
 * match it (a mismatched file is an error), and a plain PyTorch state dict
 * without our metadata loads as that model. Accepts `fc.*` or `linear.*` for
 * the output layer. Every malformed field is a BpttError naming it. Nothing is
 * applied anywhere: the caller applies the result only once it is fully
 * checked. Browser-safe: bytes in.
 */
export function loadCheckpoint(bytes: Uint8Array, expect?: RnnConfig, field = 'checkpoint'): CheckpointData {
  const want = expect === undefined ? undefined : validateConfig(expect, 'expected config');
  const { tensors, metadata } = decodeSafetensors(bytes, field);
  let config: ModelConfig;
  if (metadata.config !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata.config);
    } catch {
      throw new BpttError(`${field} metadata.config`, show(metadata.config), 'is not valid JSON');
    }
    config = validateConfig(parsed, `${field} config`);
  } else if (want) {
    config = want; // a plain PyTorch state dict: shapes are checked below
  } else {
    throw new BpttError(`${field} metadata.config`, 'missing', 'needed to know the model (or pass the expected config)');
  }
  if (want) {
    for (const k of Object.keys(want) as (keyof ModelConfig)[]) {
      if (want[k] !== config[k]) throw new BpttError(`${field} config.${k}`, JSON.stringify(config[k]), `does not match the model's ${JSON.stringify(want[k])}`);
    }
  }
  const step = metaInt(metadata, 'step', field);
  const used = new Set<string>();
  const weights = readWeights(config, tensors, '', field, used);
  let optimizer: CheckpointData['optimizer'];
  if (metadata.optimizer !== undefined) {
    const kinds = Object.keys(STATES) as OptimizerKind[];
    const kind = metadata.optimizer as OptimizerKind;
    if (!kinds.includes(kind)) throw new BpttError(`${field} metadata.optimizer`, show(metadata.optimizer), `must be one of ${kinds.map((k) => JSON.stringify(k)).join(', ')}`);
    optimizer = { kind, step: metaInt(metadata, 'optimizer_step', field) };
    for (const s of STATES[kind]) optimizer[s] = readWeights(config, tensors, `optim.${s}.`, field, used);
  }
  let vocab: string[] | undefined;
  if (metadata.vocab !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata.vocab);
    } catch {
      throw new BpttError(`${field} metadata.vocab`, show(metadata.vocab), 'is not valid JSON');
    }
    vocab = checkVocab(parsed, config, `${field} metadata.vocab`);
  }
  const extraTensor = Object.keys(tensors).find((k) => !used.has(k));
  if (extraTensor) {
    throw new BpttError(`${field}: ${extraTensor}`, JSON.stringify(tensors[extraTensor].shape), `is not a tensor of this model (cell ${config.cell}, ${config.layers} layer${config.layers > 1 ? 's' : ''}${metadata.optimizer ? `, optimizer ${metadata.optimizer}` : ''})`);
  }
  const extra = Object.fromEntries(Object.entries(metadata).filter(([k]) => !RESERVED.includes(k)));
  return { config, weights, optimizer, vocab, step, extra };
}
