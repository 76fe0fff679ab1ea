// The model file: one safetensors file whose tensors are exactly the
// model's PyTorch state dict (nn.RNN / nn.LSTM / nn.GRU as `rnn`, nn.Linear as
// `fc`), so `load_state_dict(..., strict=True)` accepts it as saved. What
// PyTorch does not load lives in the string metadata, which strict loading
// never sees:
//   model_spec       the ModelSpec (JSON)
//   model_optimizer  the optimizer and its state (JSON): kind, lr…, its step
//                    counter, and s1 / s2 (Adagrad's Σg², Adam's m and v) as
//                    base64 little-endian f32, each parameter in paramShapes
//                    order (the state dict's order), unpadded
//   config, step     the engine's config and the training steps (checkpoint.ts)
// A file without model_optimizer (weights only, or from PyTorch) loads with
// a fresh optimizer. Files from saveCheckpoint that keep the optimizer state
// as `optim.*` tensors (the CLI's) load too.
import { BpttError, show } from '../errors';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint';
import { decodeSafetensors } from '../model/safetensors';
import { paramShapes, type Weights } from '../model/params';
import type { ModelConfig } from '../model/config';
import type { OptimizerSpec, TrainerSnapshot } from '../engine/trainer';
import { checkSpec, modelConfig, type CheckedSpec, type ModelSpec } from './spec';

/** A model's state as a file holds it. */
export interface ModelState {
  spec: CheckedSpec;
  weights: Weights;
  /** The optimizer's settings and state; null for a fresh optimizer. */
  optimizer: { spec: OptimizerSpec; state: TrainerSnapshot['optimizer'] } | null;
  /** Training steps taken. */
  step: number;
}

function toBase64(f: Float32Array): string {
  const bytes = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(field: string, s: unknown, n: number): Float32Array {
  let bin: string;
  try {
    bin = atob(String(s));
  } catch {
    throw new BpttError(field, show(s), 'is not base64');
  }
  if (bin.length !== n * 4) throw new BpttError(field, `${bin.length} bytes`, `must hold ${n} f32 values (${n * 4} bytes)`);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** Concatenate weights in paramShapes order (unpadded). */
function flatten(c: ModelConfig, w: Weights): Float32Array {
  const shapes = paramShapes(c);
  const out = new Float32Array(shapes.reduce((a, [, r, k]) => a + r * k, 0));
  let at = 0;
  for (const [name, r, k] of shapes) out.set(w[name], at), (at += r * k);
  return out;
}

function unflatten(c: ModelConfig, f: Float32Array): Weights {
  const w: Weights = {};
  let at = 0;
  for (const [name, r, k] of paramShapes(c)) (w[name] = f.slice(at, at + r * k)), (at += r * k);
  return w;
}

/** The spec of an engine config (a CLI checkpoint's): an output at every step. */
function specOfConfig(c: ModelConfig): CheckedSpec {
  return checkSpec({
    cell: c.cell,
    layers: c.layers,
    hidden: c.hidden,
    activation: c.activation,
    bias: c.bias,
    input: c.input === 'dense' ? { features: c.inputSize } : { tokens: c.inputSize },
    output: c.loss === 'mse' ? { regression: c.outputSize } : { classes: c.outputSize },
    returnSequences: true,
  });
}

/** The file's bytes for a model's state. */
export function encodeModel(s: ModelState): Uint8Array {
  const config = modelConfig(s.spec);
  const extra: Record<string, string> = { model_spec: JSON.stringify(s.spec) };
  if (s.optimizer) {
    const { spec, state } = s.optimizer;
    const o: Record<string, unknown> = { ...spec, kind: state.kind, step: state.step };
    if (state.s1) o.s1 = toBase64(flatten(config, state.s1));
    if (state.s2) o.s2 = toBase64(flatten(config, state.s2));
    extra.model_optimizer = JSON.stringify(o);
  }
  return saveCheckpoint({ config, weights: s.weights, step: s.step, extra });
}

/**
 * A model's state from a file: ours, a CLI checkpoint, or a PyTorch state
 * dict (then `spec` says what model it is). With `spec`, the file must be
 * that model.
 */
export function decodeModel(bytes: Uint8Array, spec?: ModelSpec): ModelState {
  if (!(bytes instanceof Uint8Array)) throw new BpttError('bytes', show(bytes), 'must be a Uint8Array (a saved model file)');
  let given = spec === undefined ? undefined : checkSpec(spec, 'options.spec');
  if (!given) {
    const { metadata } = decodeSafetensors(bytes, 'model file');
    if (metadata.model_spec === undefined && metadata.config === undefined) {
      throw new BpttError('model file metadata.model_spec', 'missing', 'a file without a model spec (e.g. a PyTorch state dict) needs options.spec to say what model it is');
    }
    if (metadata.model_spec === undefined) given = specOfConfig(loadCheckpoint(bytes, undefined, 'model file').config as ModelConfig);
  }
  const probe = loadCheckpoint(bytes, given ? modelConfig(given) : undefined, 'model file');
  let fileSpec: CheckedSpec | undefined;
  const specText = probe.extra?.model_spec;
  if (specText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(specText);
    } catch {
      throw new BpttError('model file metadata.model_spec', show(specText), 'is not valid JSON');
    }
    fileSpec = checkSpec(parsed, 'model file metadata.model_spec');
  }
  if (given && fileSpec && JSON.stringify(given) !== JSON.stringify(fileSpec)) {
    throw new BpttError('model file metadata.model_spec', specText!, `does not match options.spec ${JSON.stringify(given)}`);
  }
  const theSpec = given ?? fileSpec;
  if (!theSpec) throw new BpttError('model file metadata.model_spec', 'missing', 'a file without a model spec (e.g. from PyTorch) needs options.spec to say what model it is');
  const config = modelConfig(theSpec);
  for (const k of Object.keys(config) as (keyof ModelConfig)[]) {
    if (config[k] !== (probe.config as ModelConfig)[k]) throw new BpttError(`model file config.${k}`, JSON.stringify(probe.config[k]), `does not match the spec's ${JSON.stringify(config[k])}`);
  }
  let optimizer: ModelState['optimizer'] = null;
  const optText = probe.extra?.model_optimizer;
  if (optText !== undefined) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(optText);
    } catch {
      throw new BpttError('model file metadata.model_optimizer', show(optText), 'is not valid JSON');
    }
    const n = paramShapes(config).reduce((a, [, r, k]) => a + r * k, 0);
    const kind = o.kind as OptimizerSpec['kind'];
    if (!['sgd', 'adagrad', 'adam'].includes(kind)) throw new BpttError('model file metadata.model_optimizer.kind', show(o.kind), 'must be "sgd", "adagrad" or "adam"');
    if (typeof o.step !== 'number' || !Number.isInteger(o.step) || o.step < 0) throw new BpttError('model file metadata.model_optimizer.step', show(o.step), 'must be an integer ≥ 0');
    const state: TrainerSnapshot['optimizer'] = { kind, step: o.step };
    if (kind !== 'sgd') state.s1 = unflatten(config, fromBase64('model file metadata.model_optimizer.s1', o.s1, n));
    if (kind === 'adam') state.s2 = unflatten(config, fromBase64('model file metadata.model_optimizer.s2', o.s2, n));
    const { s1: _1, s2: _2, step: _3, ...rest } = o;
    void _1, void _2, void _3;
    optimizer = { spec: rest as unknown as OptimizerSpec, state };
  } else if (probe.optimizer) {
    optimizer = { spec: { kind: probe.optimizer.kind, lr: NaN }, state: probe.optimizer };
  }
  return { spec: theSpec, weights: probe.weights, optimizer, step: probe.step };
}
