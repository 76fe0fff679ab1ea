// The parameters and their one flat buffer. Every tensor starts at a multiple
// of 64 floats (256 bytes), so it can also be bound on its own; gradients and
// optimizer state use the same layout, so clipping and the update are single
// passes over one array.
import { GATES, isChapterModel, type RnnConfig } from './config';
import type { Rng } from '../util/rng';
import { BpttError, show } from '../errors';

/** The chapter model's parameters in the chapter's names, in buffer order. */
export const PARAM_NAMES = ['W_hx', 'W_hh', 'W_qh', 'b_h', 'b_q'] as const;
/**
 * A parameter's name: the chapter's (W_hx, W_hh, W_qh, b_h, b_q) for the
 * chapter's model, else PyTorch's per layer k (weight_ih_l{k},
 * weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}) plus W_qh and b_q.
 */
export type ParamName = string;

/** A flat row-major tensor, f32 (the GPU's) or f64 (the reference's). */
export type Tensor = Float32Array | Float64Array;

/**
 * Weights by name (see paramShapes), each row-major. The chapter's model:
 * W_hx: (H, d)   W_hh: (H, H)   W_qh: (Q, H)   b_h: (H)   b_q: (Q)
 * (= PyTorch nn.RNN weight_ih_l0, weight_hh_l0, nn.Linear weight; b_h is
 * bias_ih_l0 + bias_hh_l0). Other models: PyTorch's nn.RNN / nn.LSTM /
 * nn.GRU names and shapes per layer, plus W_qh and b_q. Biases are absent
 * when config.bias is false.
 */
export type Weights<T extends Tensor = Float32Array> = Record<ParamName, T>;

export interface Slot {
  name: ParamName;
  offset: number;
  rows: number;
  cols: number;
  size: number;
}

/** Where each parameter lives in the flat parameter (and gradient, optimizer-state) buffer. */
export interface ParamLayout {
  slots: Slot[];
  byName: Record<ParamName, Slot | undefined>;
  /** Floats in the flat buffer, padding included. */
  total: number;
}

const ALIGN = 64;

/** The names of layer k's parameters: the chapter's for the chapter's model, else PyTorch's. */
export function layerNames(c: RnnConfig, k: number): { W_ih: ParamName; W_hh: ParamName; b_ih?: ParamName; b_hh?: ParamName } {
  if (isChapterModel(c)) return { W_ih: 'W_hx', W_hh: 'W_hh', b_ih: c.bias ? 'b_h' : undefined };
  return {
    W_ih: `weight_ih_l${k}`,
    W_hh: `weight_hh_l${k}`,
    b_ih: c.bias ? `bias_ih_l${k}` : undefined,
    b_hh: c.bias ? `bias_hh_l${k}` : undefined,
  };
}

/**
 * [name, rows, cols] of each parameter of `c` (biases are 1 × n), in buffer
 * order. The chapter's model: W_hx (H, d), W_hh (H, H), W_qh (Q, H), b_h, b_q.
 * Others, per layer k (G = 1, 4, 3 gates for rnn, lstm, gru; in = d for
 * k = 0, else H): weight_ih_l{k} (G·H, in), weight_hh_l{k} (G·H, H),
 * bias_ih_l{k} (G·H), bias_hh_l{k} (G·H); then W_qh (Q, H), b_q (Q).
 */
export function paramShapes(c: RnnConfig): [ParamName, number, number][] {
  const H = c.hidden, d = c.inputSize, Q = c.outputSize;
  if (isChapterModel(c)) {
    const shapes: [ParamName, number, number][] = [['W_hx', H, d], ['W_hh', H, H], ['W_qh', Q, H]];
    if (c.bias) shapes.push(['b_h', 1, H], ['b_q', 1, Q]);
    return shapes;
  }
  const G = GATES[c.cell ?? 'rnn'];
  const shapes: [ParamName, number, number][] = [];
  for (let k = 0; k < (c.layers ?? 1); k++) {
    const n = layerNames(c, k);
    shapes.push([n.W_ih, G * H, k === 0 ? d : H], [n.W_hh, G * H, H]);
    if (n.b_ih) shapes.push([n.b_ih, 1, G * H]);
    if (n.b_hh) shapes.push([n.b_hh, 1, G * H]);
  }
  shapes.push(['W_qh', Q, H]);
  if (c.bias) shapes.push(['b_q', 1, Q]);
  return shapes;
}

/** The flat layout of `c`'s parameters, each at a multiple of 64 floats. */
export function paramLayout(c: RnnConfig): ParamLayout {
  let offset = 0;
  const slots: Slot[] = [];
  const byName: Record<ParamName, Slot | undefined> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const slot = { name, offset, rows, cols, size: rows * cols };
    slots.push(slot);
    byName[name] = slot;
    offset += Math.ceil(slot.size / ALIGN) * ALIGN;
  }
  return { slots, byName, total: offset };
}

/**
 * PyTorch's names of a one-layer nn.RNN's parameters and the chapter's name
 * each one becomes: b_h = bias_ih_l0 + bias_hh_l0.
 */
export const PYTORCH_CHAPTER_NAMES = { weight_ih_l0: 'W_hx', weight_hh_l0: 'W_hh', bias_ih_l0: 'b_h', bias_hh_l0: 'b_h' } as const;

/**
 * The chapter's model's weights under the chapter's names, whichever names
 * they came in: W_hx, W_hh, b_h as they are, or PyTorch's weight_ih_l0,
 * weight_hh_l0, bias_ih_l0 and bias_hh_l0 (summed into b_h, in the biases'
 * own precision), as nn.RNN's state_dict names them. Names are not mixed:
 * a chapter name beside a PyTorch one is refused. Other models (and weights
 * in the chapter's names) come back as they are.
 */
function chapterNamed(chapter: boolean, bias: boolean, o: Record<string, unknown>, field: string): Record<string, unknown> {
  if (!chapter) return o;
  const torch = Object.keys(PYTORCH_CHAPTER_NAMES).filter((k) => o[k] !== undefined);
  if (!torch.length) return o;
  const clash = ['W_hx', 'W_hh', 'b_h'].find((k) => o[k] !== undefined);
  if (clash) throw new BpttError(`${field}.${clash}`, 'present', `must not be given beside PyTorch's ${torch[0]}: name the weights one way, W_hx, W_hh, b_h or weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0`);
  const out: Record<string, unknown> = { ...o, W_hx: o.weight_ih_l0, W_hh: o.weight_hh_l0 };
  for (const k of Object.keys(PYTORCH_CHAPTER_NAMES)) delete out[k];
  if (bias) {
    const bi = o.bias_ih_l0, bh = o.bias_hh_l0;
    for (const [name, t] of [['bias_ih_l0', bi], ['bias_hh_l0', bh]] as const) {
      if (!(t instanceof Float32Array || t instanceof Float64Array)) {
        throw new BpttError(`${field}.${name}`, show(t), 'must be a Float32Array or Float64Array beside the other (b_h = bias_ih_l0 + bias_hh_l0)');
      }
    }
    const x = bi as Tensor, y = bh as Tensor;
    if (x.length !== y.length) throw new BpttError(`${field}.bias_hh_l0`, `length ${y.length}`, `must have the length of bias_ih_l0 (${x.length})`);
    const sum = x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) sum[i] = x[i] + y[i];
    out.b_h = sum;
  }
  return out;
}

/**
 * Check that `w` has every tensor of the config with the right length and
 * finite values, and return the weights under the layout's names (a
 * one-layer rnn's may come in the chapter's names or PyTorch's; see
 * PYTORCH_CHAPTER_NAMES). Tensors are not copied.
 */
export function checkWeights(c: RnnConfig, w: unknown, field = 'weights'): Weights<Tensor> {
  if (typeof w !== 'object' || w === null) throw new BpttError(field, show(w), 'must be an object');
  const o = chapterNamed(isChapterModel(c), c.bias, w as Record<string, unknown>, field);
  for (const [name, rows, cols] of paramShapes(c)) {
    const t = o[name];
    if (!(t instanceof Float32Array || t instanceof Float64Array)) {
      throw new BpttError(`${field}.${name}`, show(t), `must be a Float32Array or Float64Array of ${rows}×${cols}`);
    }
    if (t.length !== rows * cols) throw new BpttError(`${field}.${name}`, `length ${t.length}`, `must have ${rows}×${cols} = ${rows * cols} elements`);
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i])) throw new BpttError(`${field}.${name}[${i}]`, String(t[i]), 'must be finite');
    }
  }
  return o as Weights<Tensor>;
}

/** Pack weights into the flat layout (f32); a one-layer rnn's may be under PyTorch's names (see checkWeights). */
export function packWeights(layout: ParamLayout, w: Weights<Tensor>): Float32Array {
  const named = chapterNamed(!!layout.byName.W_hx, !!layout.byName.b_h, w, 'weights') as Weights<Tensor>;
  const flat = new Float32Array(layout.total);
  for (const s of layout.slots) flat.set(named[s.name], s.offset);
  return flat;
}

/** Unpack the flat layout into separate tensors (copies). */
export function unpackWeights(layout: ParamLayout, flat: Float32Array): Weights {
  const w: Weights = {};
  for (const s of layout.slots) w[s.name] = flat.slice(s.offset, s.offset + s.size);
  return w;
}

/** How initWeights draws weights: 'pytorch' (U(±1/√H)) or 'd2l' (N(0, 0.01²), zero biases). */
export type InitScheme = 'pytorch' | 'd2l';

/**
 * Fresh weights. 'pytorch': U(−1/√H, 1/√H) for every weight (nn.RNN and
 * nn.Linear's default), biases too; 'd2l': N(0, 0.01²) weights, zero biases.
 */
export function initWeights(c: RnnConfig, rng: Rng, scheme: InitScheme = 'pytorch'): Weights {
  const k = 1 / Math.sqrt(c.hidden);
  const w: Weights = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const t = new Float32Array(rows * cols);
    const isBias = name.startsWith('b_') || name.startsWith('bias_');
    for (let i = 0; i < t.length; i++) {
      if (scheme === 'd2l') t[i] = isBias ? 0 : 0.01 * rng.normal();
      else t[i] = (2 * rng.next() - 1) * k;
    }
    w[name] = t;
  }
  return w;
}
