// What the gated cells' recurrence kernels (lstm.ts, gru.ts) share beyond
// what every sequence kernel shares (sequence-kernel.ts): the forward Params,
// the workgroup cache per unit and so the largest H, the constants, and the
// dims with their checks (split.ts checks its dims, of every cell, with these
// too). Each workgroup walks ROWS sequences through time; each thread owns
// neighbouring hidden units (2 in the forward, all gates of each; 8 in the
// reverse: recurrence-wgsl.ts's unitBlock), so WG covers H in as few passes
// as the device allows.
import { BpttError, requireInt } from '../errors';
import { uniformStruct } from '../gpu/uniform';
import { F32, type Constants } from './kernel';
import { sequenceConstants, xiBytes, type SequenceKernelOptions } from './sequence-kernel';
import { GATED_FORWARD_UNITS, RECURRENCE_UNITS } from './recurrence-wgsl';

/** The Params of both gated cells' forward kernels. */
export const GatedForwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', b_offset: 'u32' });

// Workgroup cache per sequence and hidden unit: the forward keeps h double
// buffered (2 floats), the reverse the gates' terms of the GEMV (4 floats:
// the LSTM's ∂L/∂a of i, f, g, o; the GRU's 3, ∂L/∂(W_hh h) of r, z, n, fit
// the same bound).
const FORWARD_FLOATS = 2;
const BACKWARD_FLOATS = 4;

/** Batch and step range of one forward binding of a gated cell, and where b_hh is. */
export interface GatedForwardDims {
  /** Batch size B. */
  B: number;
  /** Steps t0 ≤ t < t1: reads state t0, writes states t0 + 1 … t1. */
  t0: number;
  t1: number;
  /** Element offset of b_hh (G·H: 4H for the LSTM, 3H for the GRU) in `params` (required with `bias`). */
  bOffset?: number;
}

/** Batch and step range of one reverse binding of a gated cell, and where W_hh, ξ and the loss mask are. */
export interface GatedBackwardDims {
  /** Batch size B. */
  B: number;
  /** Steps t1 > t ≥ t0. */
  t0: number;
  t1: number;
  /** Element offset of W_hh (G·H, H) row-major in `params`. */
  wOffset: number;
  /** ξ_{t,b} is xi[xiOffset + t·B + b] (default 0). */
  xiOffset?: number;
  /** The loss mask m_t is xi[maskOffset + t] (multiplies dHo[t]). */
  maskOffset: number;
}

/** Largest H whose workgroup cache of `floatsPerUnit` · rows · H floats fits on `device`. */
export function maxHiddenFor(device: GPUDevice, rows: number, floatsPerUnit: number): number {
  return Math.floor(device.limits.maxComputeWorkgroupStorageSize / (floatsPerUnit * rows * F32));
}

/** Largest hidden size a gated cell's recurrence kernels (both) take on `device` with `rows` sequences per workgroup. */
export function maxHiddenGated(device: GPUDevice, rows: number): number {
  return maxHiddenFor(device, rows, Math.max(FORWARD_FLOATS, BACKWARD_FLOATS));
}

/**
 * The rows (default 1) and `override` constants of a gated cell's forward or
 * reverse kernel, `rows` and `hidden` checked against its workgroup cache
 * (errors name `${name}.rows`, `${name}.hidden`). The forward's threads own
 * 2 neighbouring units each (all their gates) and it takes HAS_BIAS; the
 * reverse's own 8 neighbouring units.
 */
export function gatedConstants(device: GPUDevice, name: string, options: SequenceKernelOptions, direction: 'forward' | 'backward'): { rows: number; c: Constants } {
  const rows = options.rows ?? 1;
  const floats = direction === 'forward' ? FORWARD_FLOATS : BACKWARD_FLOATS;
  const c = sequenceConstants(device, `${name}.`, options.hidden, rows, (r) => maxHiddenFor(device, r, floats), `${floats}·rows·H floats`, direction === 'forward' ? GATED_FORWARD_UNITS : RECURRENCE_UNITS);
  if (direction === 'forward') c.HAS_BIAS = options.bias ?? false;
  return { rows, c };
}

/** Check B and the step range t0 ≤ t1 of one dispatch. */
export function checkSteps(name: string, d: { B: number; t0: number; t1: number }): void {
  requireInt(`${name}.B`, d.B, 1, 0xffffffff);
  requireInt(`${name}.t0`, d.t0, 0, 0xffffffff);
  requireInt(`${name}.t1`, d.t1, d.t0, 0xffffffff);
}

/** Check an element offset. */
export function checkOffset(name: string, v: number | undefined): number {
  return requireInt(name, v, 0, 0xffffffff);
}

/** Check a forward binding's dims; returns b_hh's offset (required with `bias`, 0 without). */
export function checkForwardDims(name: string, bias: boolean | undefined, d: GatedForwardDims): number {
  checkSteps(name, d);
  if (bias && d.bOffset === undefined) throw new BpttError(`${name}.bOffset`, 'undefined', 'is required with bias');
  return bias ? checkOffset(`${name}.bOffset`, d.bOffset) : 0;
}

/** Check a reverse binding's dims; returns the offsets of W_hh, ξ and the loss mask, and the bytes `xi` must hold. */
export function checkBackwardDims(name: string, d: GatedBackwardDims): { wOffset: number; xiOffset: number; maskOffset: number; xiBytes: number } {
  checkSteps(name, d);
  const wOffset = checkOffset(`${name}.wOffset`, d.wOffset);
  const xiOffset = checkOffset(`${name}.xiOffset`, d.xiOffset ?? 0);
  const maskOffset = checkOffset(`${name}.maskOffset`, d.maskOffset);
  return { wOffset, xiOffset, maskOffset, xiBytes: xiBytes(d, xiOffset, maskOffset) };
}
