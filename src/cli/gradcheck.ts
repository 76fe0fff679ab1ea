// `webgpu-bptt gradcheck CASE.json`: one forward + backward on the WebGPU
// device (or, with --reference, in float64 on the CPU) from a JSON case, as
// JSON — an interface other frameworks can be compared through.
//
// CASE.json:
//   {"config": {"vocab": V, "hidden": H, "activation": "tanh"|"identity"|"relu", "bias": bool,
//               "cell": "rnn"|"lstm"|"gru" (default "rnn"), "layers": N (default 1)},
//    "weights": the chapter's model (rnn, 1 layer): {"W_hx": [[H×V]], "W_hh": [[H×H]], "W_qh": [[V×H]], "b_h": [H], "b_q": [V]}
//               or nn.RNN's names for it ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0": b_h is their sum);
//               otherwise PyTorch's names per layer k (G = 1 rnn, 4 lstm (i, f, g, o), 3 gru (r, z, n);
//               in = V for k = 0, else H): "weight_ih_lk": [[G·H×in]], "weight_hh_lk": [[G·H×H]],
//               "bias_ih_lk": [G·H], "bias_hh_lk": [G·H], plus "W_qh" and "b_q". No bias keys with "bias": false.
//    "tokens": [[B×T]], "targets": [[B×T]],
//    "h0": [[B×H]] for the chapter's model, else [[[layers×B×H]]]   (optional; zeros)
//    "c0": [[[layers×B×H]]]   (LSTM; optional; zeros)
//    "xi": [T] or [[B×T]]  (optional; xi[t] (or xi[b][t]) multiplies the gradient from step t into
//                            every layer's state from t−1 (of sequence b); default 1)
//    "truncation": {"kind": "full"} | {"kind": "regular", "tau": k} | {"kind": "tbptt", "k1": a, "k2": b}
//                  | {"kind": "randomized", "pi": p | "schedule": {...}, "perSequence": bool, "seed": s}
//                  (optional; instead of xi)
//    "chunk": C    (optional; the GPU runs the window in chunks of C steps)
//    "lengths": [B] (optional; sequence b's steps t ≥ lengths[b] are padding: they hold the state and
//                    carry no loss; the loss is the mean over the real steps; default T)}
// Output: {"loss": L, "grads": {exactly the keys of "weights"}, "h_last": like h0, "c_last": like c0 (LSTM)}
// (with lengths, h_last and c_last are each sequence's state at its last real step)
import { BpttError, requireInt, show } from '../errors';
import { validateConfig, isChapterModel, type ModelConfig } from '../model/config';
import { paramShapes, checkWeights, PYTORCH_CHAPTER_NAMES, type Weights, type Tensor } from '../model/params';
import { full, explicit, truncationFrom, xiAt, type Truncation, type TruncationSpec } from '../engine/truncation';
import { createRng } from '../util/rng';
import { BpttEngine } from '../engine/bptt';
import { referenceForwardBackward } from '../reference/rnn64';
import { referenceCells } from '../reference/cells64';

/** A checked CASE.json. */
export interface GradcheckCase {
  config: ModelConfig;
  weights: Weights;
  B: number;
  T: number;
  /** time-major (T, B) */
  tokens: Uint32Array;
  targets: Uint32Array;
  /** [layers][B][H] flattened */
  h0?: Float32Array;
  /** [layers][B][H] flattened (LSTM) */
  c0?: Float32Array;
  truncation: Truncation;
  /** Seed of a randomized truncation's draw. */
  seed: number;
  /** Steps per chunk on the GPU (default: the whole window). */
  chunk?: number;
  /** (B) sequence lengths in [0, T] (default T). */
  lengths?: Uint32Array;
  /** The chapter's model's weights came under nn.RNN's names: the gradients go out under them too. */
  torchNames?: boolean;
}

/** What gradcheck prints. */
export interface GradcheckResult {
  loss: number;
  grads: Record<string, number[][] | number[]>;
  h_last: number[][] | number[][][];
  c_last?: number[][][];
}

function matrix(field: string, v: unknown, rows: number, cols: number): Float32Array {
  if (!Array.isArray(v) || v.length !== rows) throw new BpttError(field, show(v), `must be an array of ${rows} rows (${rows}×${cols})`);
  const out = new Float32Array(rows * cols);
  v.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) throw new BpttError(`${field}[${i}]`, show(row), `must be an array of ${cols} numbers`);
    row.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new BpttError(`${field}[${i}][${j}]`, show(x), 'must be a finite number');
      out[i * cols + j] = x;
    });
  });
  return out;
}

function vector(field: string, v: unknown, n: number): Float32Array {
  if (!Array.isArray(v) || v.length !== n) throw new BpttError(field, show(v), `must be an array of ${n} numbers`);
  return Float32Array.from(v, (x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new BpttError(`${field}[${i}]`, show(x), 'must be a finite number');
    return x;
  });
}

/** (B, T) nested ids → time-major (T, B). */
function idGrid(field: string, v: unknown, limit: number, B?: number, T?: number): { data: Uint32Array; B: number; T: number } {
  if (!Array.isArray(v) || v.length === 0) throw new BpttError(field, show(v), 'must be a non-empty array of B rows of T ids');
  const b = B ?? v.length;
  if (v.length !== b) throw new BpttError(field, `${v.length} rows`, `must have B = ${b} rows`);
  const t = T ?? (Array.isArray(v[0]) ? v[0].length : 0);
  if (t === 0) throw new BpttError(`${field}[0]`, show(v[0]), 'must be a non-empty array of ids');
  const data = new Uint32Array(b * t);
  v.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== t) throw new BpttError(`${field}[${i}]`, show(row), `must be an array of T = ${t} ids`);
    row.forEach((x, s) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= limit) {
        throw new BpttError(`${field}[${i}][${s}]`, show(x), `must be an integer in [0, ${limit - 1}]`);
      }
      data[s * b + i] = x;
    });
  });
  return { data, B: b, T: t };
}

/** [layers][B][H] nested → flat. */
function states(field: string, v: unknown, L: number, B: number, H: number): Float32Array {
  if (!Array.isArray(v) || v.length !== L) throw new BpttError(field, show(v), `must be an array of layers = ${L} matrices (${L}×${B}×${H})`);
  const out = new Float32Array(L * B * H);
  v.forEach((m, l) => out.set(matrix(`${field}[${l}]`, m, B, H), l * B * H));
  return out;
}

/** Check a parsed CASE.json and convert it; every error names its field. */
export function parseCase(json: unknown): GradcheckCase {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BpttError('case', show(json), 'must be a JSON object');
  const o = json as Record<string, unknown>;
  const known = ['config', 'weights', 'tokens', 'targets', 'h0', 'c0', 'xi', 'truncation', 'chunk', 'lengths'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new BpttError(k, 'present', `is not a field of CASE.json (fields: ${known.join(', ')})`);
  const cfg = o.config as Record<string, unknown> | undefined;
  if (typeof cfg !== 'object' || cfg === null) throw new BpttError('config', show(cfg), 'must be an object {vocab, hidden, activation, bias, cell?, layers?}');
  for (const k of Object.keys(cfg)) {
    if (!['vocab', 'hidden', 'activation', 'bias', 'cell', 'layers'].includes(k)) throw new BpttError(`config.${k}`, 'present', 'is not a field of config (vocab, hidden, activation, bias, cell, layers)');
  }
  const V = requireInt('config.vocab', cfg.vocab, 2, 1 << 20);
  const H = requireInt('config.hidden', cfg.hidden, 1, 1 << 16);
  const config = validateConfig({ cell: cfg.cell, layers: cfg.layers, input: 'tokens', inputSize: V, hidden: H, outputSize: V, activation: cfg.activation, bias: cfg.bias, loss: 'softmax-xent' }, 'config');
  const L = config.layers;

  const wj = o.weights as Record<string, unknown> | undefined;
  if (typeof wj !== 'object' || wj === null) throw new BpttError('weights', show(wj), `must be an object of ${paramShapes(config).map(([n]) => n).join(', ')}`);
  // the chapter's model may come under nn.RNN's names (checkWeights sums the two biases into b_h)
  const torchNames = isChapterModel(config) && Object.keys(PYTORCH_CHAPTER_NAMES).some((k) => wj[k] !== undefined);
  const shapes = torchNames ? torchChapterShapes(config) : paramShapes(config);
  const names = shapes.map(([n]) => n);
  const given: Weights = {};
  for (const [name, rows, cols] of shapes) {
    given[name] = rows === 1 && isBias(name) ? vector(`weights.${name}`, wj[name], cols) : matrix(`weights.${name}`, wj[name], rows, cols);
  }
  for (const k of Object.keys(wj)) {
    if (!names.includes(k)) throw new BpttError(`weights.${k}`, 'present', config.bias || !isBias(k) ? `is not a weight of this model (${names.join(', ')})` : 'bias is off in config');
  }
  const weights = checkWeights(config, given) as Weights;

  const tokens = idGrid('tokens', o.tokens, V);
  const { B, T } = tokens;
  const targets = idGrid('targets', o.targets, V, B, T);
  const chapter = isChapterModel(config);
  const h0 = o.h0 === undefined ? undefined : chapter ? matrix('h0', o.h0, B, H) : states('h0', o.h0, L, B, H);
  if (o.c0 !== undefined && config.cell !== 'lstm') throw new BpttError('c0', 'present', `only an LSTM has a cell state (cell = "${config.cell}")`);
  const c0 = o.c0 === undefined ? undefined : states('c0', o.c0, L, B, H);
  if (o.xi !== undefined && o.truncation !== undefined) throw new BpttError('truncation', 'present', 'give either xi or truncation, not both');
  let truncation: Truncation = full();
  let seed = 0;
  if (o.xi !== undefined) {
    const x = o.xi;
    if (Array.isArray(x) && Array.isArray(x[0])) {
      const m = matrix('xi', x, B, T);
      truncation = explicit(Array.from({ length: B }, (_, b) => m.subarray(b * T, (b + 1) * T)));
    } else truncation = explicit(vector('xi', x, T));
  } else if (o.truncation !== undefined) {
    const t = o.truncation as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new BpttError('truncation', show(t), 'must be an object {kind, ...}');
    const { seed: s, ...spec } = t;
    if (s !== undefined && spec.kind !== 'randomized') throw new BpttError('truncation.seed', show(s), 'applies to "randomized" only');
    seed = requireInt('truncation.seed', s ?? 0, 0, 0xffffffff);
    if (spec.kind === 'explicit') throw new BpttError('truncation.kind', '"explicit"', 'give "xi" instead');
    truncation = truncationFrom(spec as TruncationSpec);
  }
  truncation.check(T, B);
  const chunk = o.chunk === undefined ? undefined : requireInt('chunk', o.chunk, 1, T);
  let lengths: Uint32Array | undefined;
  if (o.lengths !== undefined) {
    if (!Array.isArray(o.lengths) || o.lengths.length !== B) throw new BpttError('lengths', show(o.lengths), `must be an array of B = ${B} sequence lengths`);
    lengths = Uint32Array.from(o.lengths.map((v, b) => requireInt(`lengths[${b}]`, v, 0, T)));
  }
  return { config, weights, B, T, tokens: tokens.data, targets: targets.data, h0, c0, truncation, seed, chunk, lengths, torchNames };
}

/** The chapter's model's tensors under nn.RNN's names (W_hx → weight_ih_l0, W_hh → weight_hh_l0, b_h → bias_ih_l0 and bias_hh_l0). */
function torchChapterShapes(c: ModelConfig): [string, number, number][] {
  return paramShapes(c).flatMap(([name, rows, cols]): [string, number, number][] =>
    name === 'W_hx' ? [['weight_ih_l0', rows, cols]] : name === 'W_hh' ? [['weight_hh_l0', rows, cols]] : name === 'b_h' ? [['bias_ih_l0', rows, cols], ['bias_hh_l0', rows, cols]] : [[name, rows, cols]],
  );
}

const isBias = (name: string) => name.startsWith('b_') || name.startsWith('bias_');

/** The gradients as printed, under the names the weights came in (∂L/∂bias_ih_l0 = ∂L/∂bias_hh_l0 = ∂L/∂b_h). */
function nest(c: ModelConfig, g: Weights<Tensor>, torchNames = false): Record<string, number[][] | number[]> {
  const out: Record<string, number[][] | number[]> = {};
  const chapterName = (n: string) => (torchNames && n in PYTORCH_CHAPTER_NAMES ? PYTORCH_CHAPTER_NAMES[n as keyof typeof PYTORCH_CHAPTER_NAMES] : n);
  for (const [name, rows, cols] of torchNames ? torchChapterShapes(c) : paramShapes(c)) {
    const t = Array.from(g[chapterName(name)]);
    out[name] = isBias(name) ? t : Array.from({ length: rows }, (_, i) => t.slice(i * cols, (i + 1) * cols));
  }
  return out;
}

function rowsOf(a: ArrayLike<number>, B: number, H: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from(a).slice(b * H, (b + 1) * H));
}

/** h_last / c_last as printed: [B][H] for the chapter's model, else [layers][B][H]. */
function statesOut(c: ModelConfig, flat: ArrayLike<number>, B: number): number[][] | number[][][] {
  const H = c.hidden, n = B * H;
  const layers = Array.from({ length: c.layers }, (_, l) => rowsOf(Array.from(flat).slice(l * n, (l + 1) * n), B, H));
  return isChapterModel(c) ? layers[0] : layers;
}

/** Run a case on the GPU `device`, or in float64 when `device` is null. */
export async function runGradcheck(k: GradcheckCase, device: GPUDevice | null): Promise<GradcheckResult> {
  const c = k.config, H = c.hidden, B = k.B, T = k.T, n = B * H;
  const plan = k.truncation.plan(T, B, createRng(k.seed));
  if (!device) {
    const batch = { B, T, tokens: k.tokens, targets: k.targets };
    const tb = k.truncation.spec.kind === 'tbptt' ? (k.truncation.spec as { k1: number; k2: number }) : undefined;
    // ξ of the (single) stream per sequence; TBPTT's streams are the reference's own tbptt option
    const xi = tb ? undefined : Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => xiAt(plan, 0, t, b)));
    const shared = xi && xi.every((row) => row.every((v, t) => v === xi[0][t]));
    if (isChapterModel(c) && shared && !tb && !k.lengths) {
      const r = referenceForwardBackward(c, k.weights, batch, { h0: k.h0, xi: xi![0] });
      return { loss: r.loss, grads: nest(c, r.grads, k.torchNames), h_last: rowsOf(r.h.subarray(T * n), B, H) };
    }
    const per = (v?: Float32Array) => v && Array.from({ length: c.layers }, (_, l) => v.subarray(l * n, (l + 1) * n));
    const r = referenceCells(c, k.weights, batch, { h0: per(k.h0), c0: per(k.c0), xi: shared ? xi![0] : xi, tbptt: tb, lengths: k.lengths });
    const flat = (a: ArrayLike<number>[]) => a.flatMap((x) => Array.from(x));
    const out: GradcheckResult = { loss: r.loss, grads: nest(c, r.grads, k.torchNames), h_last: statesOut(c, flat(r.hLast), B) };
    if (r.cLast) out.c_last = statesOut(c, flat(r.cLast), B) as number[][][];
    return out;
  }
  const eng = new BpttEngine(device, { config: c, batch: B, steps: T, streams: plan.streams, chunk: k.chunk });
  try {
    eng.writeWeights(k.weights);
    eng.writeBatch({ tokens: k.tokens, targets: k.targets, lengths: k.lengths });
    eng.writeXi(plan);
    eng.writeH0(k.h0, k.c0);
    eng.run();
    const [grads, loss, hLast] = [await eng.readGradients(), await eng.readLoss(), await eng.readLastState()];
    const out: GradcheckResult = { loss, grads: nest(c, grads, k.torchNames), h_last: statesOut(c, hLast, B) };
    if (c.cell === 'lstm') out.c_last = statesOut(c, await eng.readLastCell(), B) as number[][][];
    return out;
  } finally {
    eng.destroy();
  }
}
