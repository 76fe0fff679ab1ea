// `webgpu-bptt gradcheck CASE.json`: one forward + backward on the WebGPU
// device (or, with --reference, in float64 on the CPU) from a JSON case, as
// JSON — an interface other frameworks can be compared through.
//
// CASE.json:
//   {"config": {"vocab": V, "hidden": H, "activation": "tanh"|"identity"|"relu", "bias": bool},
//    "weights": {"W_hx": [[H×V]], "W_hh": [[H×H]], "W_qh": [[V×H]], "b_h": [H], "b_q": [V]},
//    "tokens": [[B×T]], "targets": [[B×T]],
//    "h0": [[B×H]]   (optional; zeros)
//    "xi": [T]       (optional; xi[t] multiplies the gradient from step t into h_{t-1}; default 1)
//    "truncation": {"kind": "full"} | {"kind": "regular", "tau": k} | {"kind": "randomized", "pi": p, "seed": s}
//                    (optional; instead of xi)}
// Output: {"loss": L, "grads": {"W_hx", "W_hh", "W_qh", ["b_h", "b_q"]}, "h_last": [[B×H]]}
import { BpttError, requireInt, requireOneOf, show } from '../errors';
import { validateConfig, type RnnConfig } from '../model/config';
import { paramShapes, type Weights } from '../model/params';
import { full, regular, randomized, explicit, type Truncation } from '../engine/truncation';
import { createRng } from '../util/rng';
import { BpttEngine } from '../engine/bptt';
import { referenceForwardBackward } from '../reference/rnn64';
import type { Tensor } from '../model/params';

export interface GradcheckCase {
  config: RnnConfig;
  weights: Weights;
  B: number;
  T: number;
  /** time-major (T, B) */
  tokens: Uint32Array;
  targets: Uint32Array;
  /** (B, H) */
  h0?: Float32Array;
  xi: Float32Array;
}

export interface GradcheckResult {
  loss: number;
  grads: Record<string, number[][] | number[]>;
  h_last: number[][];
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

/** Check a parsed CASE.json and convert it; every error names its field. */
export function parseCase(json: unknown): GradcheckCase {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BpttError('case', show(json), 'must be a JSON object');
  const o = json as Record<string, unknown>;
  const known = ['config', 'weights', 'tokens', 'targets', 'h0', 'xi', 'truncation'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new BpttError(k, 'present', `is not a field of CASE.json (fields: ${known.join(', ')})`);
  const cfg = o.config as Record<string, unknown> | undefined;
  if (typeof cfg !== 'object' || cfg === null) throw new BpttError('config', show(cfg), 'must be an object {vocab, hidden, activation, bias}');
  const V = requireInt('config.vocab', cfg.vocab, 2, 1 << 20);
  const H = requireInt('config.hidden', cfg.hidden, 1, 1 << 16);
  const activation = requireOneOf('config.activation', cfg.activation, ['tanh', 'identity', 'relu'] as const);
  if (typeof cfg.bias !== 'boolean') throw new BpttError('config.bias', show(cfg.bias), 'must be true or false');
  const config = validateConfig({ input: 'tokens', inputSize: V, hidden: H, outputSize: V, activation, bias: cfg.bias, loss: 'softmax-xent' });

  const wj = o.weights as Record<string, unknown> | undefined;
  if (typeof wj !== 'object' || wj === null) throw new BpttError('weights', show(wj), 'must be an object of W_hx, W_hh, W_qh (and b_h, b_q with bias)');
  const weights: Partial<Weights> = {};
  for (const [name, rows, cols] of paramShapes(config)) {
    weights[name] = rows === 1 && name.startsWith('b_') ? vector(`weights.${name}`, wj[name], cols) : matrix(`weights.${name}`, wj[name], rows, cols);
  }
  for (const k of Object.keys(wj)) {
    if (!paramShapes(config).some(([n]) => n === k)) throw new BpttError(`weights.${k}`, 'present', config.bias || !k.startsWith('b_') ? 'is not a weight of this model' : 'bias is off in config');
  }

  const tokens = idGrid('tokens', o.tokens, V);
  const { B, T } = tokens;
  const targets = idGrid('targets', o.targets, V, B, T);
  const h0 = o.h0 === undefined ? undefined : matrix('h0', o.h0, B, H);
  if (o.xi !== undefined && o.truncation !== undefined) throw new BpttError('truncation', 'present', 'give either xi or truncation, not both');
  let strategy: Truncation = full();
  if (o.xi !== undefined) {
    strategy = explicit(vector('xi', o.xi, T));
  } else if (o.truncation !== undefined) {
    const t = o.truncation as Record<string, unknown>;
    if (typeof t !== 'object' || t === null) throw new BpttError('truncation', show(t), 'must be an object {kind, ...}');
    const kind = requireOneOf('truncation.kind', t.kind, ['full', 'regular', 'randomized'] as const);
    if (kind === 'regular') strategy = regular(requireInt('truncation.tau', t.tau, 1, 1 << 20));
    if (kind === 'randomized') strategy = randomized(t.pi as number);
    strategy.check(T);
    const seed = kind === 'randomized' ? requireInt('truncation.seed', t.seed ?? 0, 0, 0xffffffff) : 0;
    return { config, weights: weights as Weights, B, T, tokens: tokens.data, targets: targets.data, h0, xi: strategy.multipliers(T, createRng(seed)) };
  }
  return { config, weights: weights as Weights, B, T, tokens: tokens.data, targets: targets.data, h0, xi: strategy.multipliers(T) };
}

function nest(c: RnnConfig, g: Weights<Tensor>): Record<string, number[][] | number[]> {
  const out: Record<string, number[][] | number[]> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const t = Array.from(g[name]!);
    out[name] = name.startsWith('b_') ? t : Array.from({ length: rows }, (_, i) => t.slice(i * cols, (i + 1) * cols));
  }
  return out;
}

function rowsOf(a: ArrayLike<number>, B: number, H: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from(a).slice(b * H, (b + 1) * H));
}

/** Run a case on the GPU `device`, or in float64 when `device` is null. */
export async function runGradcheck(k: GradcheckCase, device: GPUDevice | null): Promise<GradcheckResult> {
  const H = k.config.hidden;
  if (!device) {
    const r = referenceForwardBackward(k.config, k.weights, { B: k.B, T: k.T, tokens: k.tokens, targets: k.targets }, { h0: k.h0, xi: k.xi });
    return { loss: r.loss, grads: nest(k.config, r.grads), h_last: rowsOf(r.h.subarray(k.T * k.B * H), k.B, H) };
  }
  const eng = new BpttEngine(device, { config: k.config, batch: k.B, steps: k.T });
  try {
    eng.writeWeights(k.weights);
    eng.writeBatch({ tokens: k.tokens, targets: k.targets });
    eng.writeXi(k.xi);
    eng.writeH0(k.h0);
    eng.run();
    const [grads, loss, hLast] = [await eng.readGradients(), await eng.readLoss(), await eng.readLastState()];
    return { loss, grads: nest(k.config, grads), h_last: rowsOf(hLast, k.B, H) };
  } finally {
    eng.destroy();
  }
}
