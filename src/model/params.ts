// The parameters and their one flat buffer. Every tensor starts at a multiple
// of 64 floats (256 bytes), so it can also be bound on its own; gradients and
// optimizer state use the same layout, so clipping and the update are single
// passes over one array.
import type { RnnConfig } from './config';
import type { Rng } from '../util/rng';
import { BpttError, show } from '../errors';

/** The parameters in the chapter's names, in buffer order. */
export const PARAM_NAMES = ['W_hx', 'W_hh', 'W_qh', 'b_h', 'b_q'] as const;
/** One of W_hx, W_hh, W_qh, b_h, b_q. */
export type ParamName = (typeof PARAM_NAMES)[number];

/** A flat row-major tensor, f32 (the GPU's) or f64 (the reference's). */
export type Tensor = Float32Array | Float64Array;

/**
 * Weights, each row-major as the chapter writes them:
 * W_hx: (H, d)   W_hh: (H, H)   W_qh: (Q, H)   b_h: (H)   b_q: (Q)
 * (= PyTorch nn.RNN weight_ih_l0, weight_hh_l0, nn.Linear weight; b_h is
 * bias_ih_l0 + bias_hh_l0). Biases are absent when config.bias is false.
 */
export interface Weights<T extends Tensor = Float32Array> {
  W_hx: T;
  W_hh: T;
  W_qh: T;
  b_h?: T;
  b_q?: T;
}

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
  byName: Partial<Record<ParamName, Slot>>;
  /** Floats in the flat buffer, padding included. */
  total: number;
}

const ALIGN = 64;

/** [name, rows, cols] of each parameter of `c` (biases are 1 × n). */
export function paramShapes(c: RnnConfig): [ParamName, number, number][] {
  const H = c.hidden, d = c.inputSize, Q = c.outputSize;
  const shapes: [ParamName, number, number][] = [['W_hx', H, d], ['W_hh', H, H], ['W_qh', Q, H]];
  if (c.bias) shapes.push(['b_h', 1, H], ['b_q', 1, Q]);
  return shapes;
}

/** The flat layout of `c`'s parameters, each at a multiple of 64 floats. */
export function paramLayout(c: RnnConfig): ParamLayout {
  let offset = 0;
  const slots: Slot[] = [];
  const byName: Partial<Record<ParamName, Slot>> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const slot = { name, offset, rows, cols, size: rows * cols };
    slots.push(slot);
    byName[name] = slot;
    offset += Math.ceil(slot.size / ALIGN) * ALIGN;
  }
  return { slots, byName, total: offset };
}

/** Check that `w` has every tensor of the config with the right length and finite values. */
export function checkWeights(c: RnnConfig, w: unknown, field = 'weights'): void {
  if (typeof w !== 'object' || w === null) throw new BpttError(field, show(w), 'must be an object');
  const o = w as Record<string, unknown>;
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
}

/** Pack weights into the flat layout (f32). */
export function packWeights(layout: ParamLayout, w: Weights<Tensor>): Float32Array {
  const flat = new Float32Array(layout.total);
  for (const s of layout.slots) flat.set(w[s.name]!, s.offset);
  return flat;
}

/** Unpack the flat layout into separate tensors (copies). */
export function unpackWeights(layout: ParamLayout, flat: Float32Array): Weights {
  const w: Partial<Weights> = {};
  for (const s of layout.slots) w[s.name] = flat.slice(s.offset, s.offset + s.size);
  return w as Weights;
}

/** How initWeights draws weights: 'pytorch' (U(±1/√H)) or 'd2l' (N(0, 0.01²), zero biases). */
export type InitScheme = 'pytorch' | 'd2l';

/**
 * Fresh weights. 'pytorch': U(−1/√H, 1/√H) for every weight (nn.RNN and
 * nn.Linear's default), biases too; 'd2l': N(0, 0.01²) weights, zero biases.
 */
export function initWeights(c: RnnConfig, rng: Rng, scheme: InitScheme = 'pytorch'): Weights {
  const k = 1 / Math.sqrt(c.hidden);
  const w: Partial<Weights> = {};
  for (const [name, rows, cols] of paramShapes(c)) {
    const t = new Float32Array(rows * cols);
    const isBias = name.startsWith('b_');
    for (let i = 0; i < t.length; i++) {
      if (scheme === 'd2l') t[i] = isBias ? 0 : 0.01 * rng.normal();
      else t[i] = (2 * rng.next() - 1) * k;
    }
    w[name] = t;
  }
  return w as Weights;
}
