// Checkpoints: weights (and optimizer state) in safetensors with PyTorch's
// names for nn.RNN + nn.Linear, plus metadata (config, vocabulary, step).
//
//   W_hx (H, V)  ↔ rnn.weight_ih_l0      W_hh (H, H) ↔ rnn.weight_hh_l0
//   W_qh (Q, H)  ↔ fc.weight             b_q (Q)     ↔ fc.bias
//   b_h (H)      ↔ rnn.bias_ih_l0, with rnn.bias_hh_l0 = 0 on save.
// PyTorch's RNN adds two biases, b_ih + b_hh; the chapter has one, b_h. On
// load, b_h = rnn.bias_ih_l0 + rnn.bias_hh_l0, so checkpoints from PyTorch load
// as the same function. Optimizer state is saved as "optim.s1.<name>" and
// "optim.s2.<name>" (Adagrad's Σg²; Adam's m and v) under the same names.
import { BpttError } from '../errors';
import { validateConfig, type RnnConfig } from './config';
import { paramShapes, type ParamName, type Weights } from './params';
import { encodeSafetensors, decodeSafetensors, type NamedTensor } from './safetensors';

/** The chapter model's parameter names → PyTorch's state-dict names (nn.RNN as `rnn`, nn.Linear as `fc`). */
export const TORCH_NAMES: Record<ParamName, string> = {
  W_hx: 'rnn.weight_ih_l0',
  W_hh: 'rnn.weight_hh_l0',
  W_qh: 'fc.weight',
  b_h: 'rnn.bias_ih_l0',
  b_q: 'fc.bias',
};

/** What a checkpoint holds. */
export interface CheckpointData {
  /** The model. */
  config: RnnConfig;
  /** The parameters, by the engine's names (see paramShapes). */
  weights: Weights;
  /** Optimizer state, when saved. */
  optimizer?: { kind: string; step: number; s1?: Weights; s2?: Weights };
  /** The vocabulary's tokens in id order (character models). */
  vocab?: string[];
  /** Training steps taken. */
  step: number;
  /** Free-form extra metadata. */
  extra?: Record<string, string>;
}

function tensorsOf(c: RnnConfig, w: Weights, prefix: string, torch: boolean): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const key = torch ? TORCH_NAMES[name] : name;
    out[prefix + key] = { shape: name.startsWith('b_') ? [cols] : [rows, cols], data: w[name]! };
  }
  if (torch && c.bias && !prefix) out['rnn.bias_hh_l0'] = { shape: [c.hidden], data: new Float32Array(c.hidden) };
  return out;
}

/**
 * Write a checkpoint as safetensors bytes with PyTorch's state-dict names and
 * metadata (config, step, vocabulary, optimizer). Browser-safe: bytes out.
 */
export function saveCheckpoint(d: CheckpointData): Uint8Array {
  const tensors: Record<string, NamedTensor> = tensorsOf(d.config, d.weights, '', true);
  if (d.optimizer?.s1) Object.assign(tensors, tensorsOf(d.config, d.optimizer.s1, 'optim.s1.', true));
  if (d.optimizer?.s2) Object.assign(tensors, tensorsOf(d.config, d.optimizer.s2, 'optim.s2.', true));
  const metadata: Record<string, string> = {
    format: 'webgpu-bptt/1',
    config: JSON.stringify(d.config),
    step: String(d.step),
    ...(d.vocab ? { vocab: JSON.stringify(d.vocab) } : {}),
    ...(d.optimizer ? { optimizer: d.optimizer.kind, optimizer_step: String(d.optimizer.step) } : {}),
    ...d.extra,
  };
  return encodeSafetensors(tensors, metadata);
}

function readWeights(c: RnnConfig, tensors: Record<string, NamedTensor>, prefix: string, field: string): Weights {
  const w: Partial<Weights> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const key = prefix + TORCH_NAMES[name];
    const t = tensors[key];
    const shape = name.startsWith('b_') ? [cols] : [rows, cols];
    if (!t) throw new BpttError(`${field}: ${key}`, 'missing', `the checkpoint has no tensor ${key} (${name}, shape ${JSON.stringify(shape)})`);
    if (JSON.stringify(t.shape) !== JSON.stringify(shape)) throw new BpttError(`${field}: ${key}.shape`, JSON.stringify(t.shape), `must be ${JSON.stringify(shape)} for this model`);
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) throw new BpttError(`${field}: ${key}[${i}]`, String(t.data[i]), 'must be finite');
    w[name] = t.data;
  }
  if (!prefix && c.bias && tensors['rnn.bias_hh_l0']) {
    const hh = tensors['rnn.bias_hh_l0'];
    if (JSON.stringify(hh.shape) !== JSON.stringify([c.hidden])) throw new BpttError(`${field}: rnn.bias_hh_l0.shape`, JSON.stringify(hh.shape), `must be [${c.hidden}]`);
    w.b_h = w.b_h!.map((v, i) => v + hh.data[i]);
  }
  return w as Weights;
}

/**
 * Read a checkpoint. With `expect`, the file's config must match it (a
 * mismatched file is an error). Nothing is applied anywhere: the caller
 * applies the result only once it is fully checked.
 */
export function loadCheckpoint(bytes: Uint8Array, expect?: RnnConfig, field = 'checkpoint'): CheckpointData {
  const { tensors, metadata } = decodeSafetensors(bytes, field);
  let config: RnnConfig;
  if (metadata.config) {
    try {
      config = validateConfig(JSON.parse(metadata.config), `${field} config`);
    } catch (e) {
      if (e instanceof BpttError) throw e;
      throw new BpttError(`${field} metadata.config`, metadata.config.slice(0, 40), 'is not valid JSON');
    }
  } else if (expect) {
    config = expect; // a plain PyTorch state dict: shapes are checked below
  } else {
    throw new BpttError(`${field} metadata.config`, 'missing', 'needed to know the model (or pass the expected config)');
  }
  if (expect) {
    for (const k of Object.keys(expect) as (keyof RnnConfig)[]) {
      if (expect[k] !== config[k]) throw new BpttError(`${field} config.${k}`, JSON.stringify(config[k]), `does not match the model's ${JSON.stringify(expect[k])}`);
    }
  }
  const weights = readWeights(config, tensors, '', field);
  const step = Number(metadata.step ?? 0);
  let optimizer: CheckpointData['optimizer'];
  if (metadata.optimizer) {
    optimizer = { kind: metadata.optimizer, step: Number(metadata.optimizer_step ?? 0) };
    if (tensors[`optim.s1.${TORCH_NAMES.W_hh}`]) optimizer.s1 = readWeights(config, tensors, 'optim.s1.', field);
    if (tensors[`optim.s2.${TORCH_NAMES.W_hh}`]) optimizer.s2 = readWeights(config, tensors, 'optim.s2.', field);
  }
  let vocab: string[] | undefined;
  if (metadata.vocab) {
    try {
      vocab = JSON.parse(metadata.vocab);
    } catch {
      throw new BpttError(`${field} metadata.vocab`, metadata.vocab.slice(0, 40), 'is not valid JSON');
    }
    if (!Array.isArray(vocab) || vocab.length !== config.inputSize) throw new BpttError(`${field} metadata.vocab`, `${vocab?.length} tokens`, `must list ${config.inputSize} tokens`);
  }
  const extra = Object.fromEntries(Object.entries(metadata).filter(([k]) => !['format', 'config', 'step', 'vocab', 'optimizer', 'optimizer_step'].includes(k)));
  return { config, weights, optimizer, vocab, step: Number.isFinite(step) ? step : 0, extra };
}
