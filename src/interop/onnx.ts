// ONNX export: any model the library trains, as a standard ONNX file (opset
// 17: OneHot, RNN / LSTM / GRU, Squeeze, MatMul, Add) that ONNX Runtime runs
// (Node, the browser's wasm and WebGPU backends). The graph is onnx-graph.ts;
// the protobuf writer is loaded on first use, so only exporters pay for it.
import { validateConfig, type ModelConfig, type RnnConfig } from '../model/config';
import { checkWeights, type Tensor, type Weights } from '../model/params';
import { checkSpec, modelConfig, type ModelSpec } from '../api/spec';
import { BpttError, show } from '../errors';
import { onnxGraph } from './onnx-graph';

export { ONNX_OPSET, ONNX_IR_VERSION, GATE_ORDER } from './onnx-graph';

/**
 * What to export: a config (or a spec, as a Model has) and its weights
 * (PyTorch's names and layouts, see paramShapes), and the head.
 */
export interface OnnxSource {
  /** The engine's config; or give `spec`. */
  config?: RnnConfig;
  /** The model spec (src/api/spec.ts); its returnSequences is used unless `returnSequences` is given. */
  spec?: ModelSpec;
  weights: Weights<Tensor>;
  /** true: an output at every step [T, B, Q]; false (default): at each sequence's last real step [B, Q]. */
  returnSequences?: boolean;
}

/** What exportOnnx needs of a Model (src/api/model.ts): its spec and its current weights. */
export interface ModelLike {
  readonly spec: ModelSpec;
  /** The current weights (a readback). */
  getWeights(): Promise<Weights<Tensor>>;
}

function isModelLike(s: unknown): s is ModelLike {
  return typeof s === 'object' && s !== null && typeof (s as ModelLike).getWeights === 'function' && 'spec' in s;
}

/** What the exported graph takes and gives beyond the inputs and outputs (see exportOnnx). */
export interface OnnxOptions {
  /**
   * Add an int32 graph input `lengths` [B] (each sequence's real steps, 1 … T),
   * passed to every recurrent layer as `sequence_lens`: padded steps change
   * no state and the last-step head reads each sequence's last real step.
   * Default false: every sequence runs all T steps.
   */
  lengths?: boolean;
  /**
   * Add float inputs `h0` (and `c0` for an LSTM) [L, B, H], every layer's
   * initial state, and outputs `h_n` (`c_n`) [L, B, H], its final state (at
   * each sequence's last real step): run a sequence piece by piece, feeding
   * h_n back as h0. Default false: zero initial state, no state outputs.
   */
  state?: boolean;
}

/** The library's version written as producer_version. */
export const PRODUCER_VERSION = '0.1.0';
/** ONNX's protobuf limit: a model file is at most 2 GiB. */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

/** The config, weights and head of a source, checked (BpttError naming the field). */
export function checkOnnxSource(source: unknown): { config: ModelConfig; weights: Weights<Tensor>; returnSequences: boolean } {
  if (typeof source !== 'object' || source === null) throw new BpttError('source', show(source), 'must be { config | spec, weights, returnSequences? }');
  const s = source as OnnxSource;
  if ((s.config === undefined) === (s.spec === undefined)) throw new BpttError('source', s.config ? 'config and spec' : 'neither config nor spec', 'needs exactly one of config, spec');
  let config: ModelConfig, rs = false;
  if (s.spec !== undefined) {
    const spec = checkSpec(s.spec, 'source.spec');
    config = modelConfig(spec, 'source.spec');
    rs = spec.returnSequences;
  } else config = validateConfig(s.config, 'source.config');
  if (s.returnSequences !== undefined) {
    if (typeof s.returnSequences !== 'boolean') throw new BpttError('source.returnSequences', show(s.returnSequences), 'must be true or false');
    rs = s.returnSequences;
  }
  const weights = checkWeights(config, s.weights, 'source.weights') as Weights;
  let floats = 0;
  for (const t of Object.values(s.weights)) floats += t.length;
  if (floats * 4 > MAX_ONNX_BYTES) throw new BpttError('source.weights', `${floats} floats`, `must fit ONNX's 2 GiB file limit (${Math.floor(MAX_ONNX_BYTES / 4)} floats)`);
  return { config, weights, returnSequences: rs };
}

/**
 * The ONNX file (bytes of a ModelProto, opset 17) of a model (a Model, or a
 * config or spec with weights): inputs `x` (float [T, B, d]) or `tokens`
 * (int64 [T, B]), time-major, and `lengths` (int32 [B]) and the state
 * (`h0`, `c0` in; `h_n`, `c_n` out) when asked; output
 * `output`: float [T, B, Q] (every step) or [B, Q] (last step) — class
 * probabilities (and a second output `logits`) for a classifier, as
 * Model.predict gives them; the regression values otherwise.
 */
export async function exportOnnx(source: OnnxSource | ModelLike, options: OnnxOptions = {}): Promise<Uint8Array> {
  const { config, weights, returnSequences } = checkOnnxSource(isModelLike(source) ? { spec: source.spec, weights: await source.getWeights() } : source);
  for (const k of ['lengths', 'state'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new BpttError(`options.${k}`, show(options[k]), 'must be true or false');
  }
  const graph = onnxGraph(config, weights, { returnSequences, lengths: options.lengths ?? false, state: options.state ?? false });
  const { encodeOnnx } = await import('./onnx-write');
  return encodeOnnx(graph, PRODUCER_VERSION);
}

/** For a "Download ONNX" button: the file's bytes, a file name and its media type. */
export async function onnxDownload(config: RnnConfig, weights: Weights<Tensor>, returnSequences: boolean, options: OnnxOptions = {}): Promise<{ bytes: Uint8Array; filename: string; type: string }> {
  const bytes = await exportOnnx({ config, weights, returnSequences }, options);
  const c = validateConfig(config);
  return { bytes, filename: `webgpu-bptt-${c.cell}-${c.layers}x${c.hidden}.onnx`, type: 'application/octet-stream' };
}
