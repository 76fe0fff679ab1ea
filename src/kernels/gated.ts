// What the gated cells' recurrence kernels (lstm.ts, gru.ts) share: the
// checks of their options and dims, and the workgroup size. Each workgroup
// walks ROWS sequences through time; each thread owns hidden units
// j = li, li + WG, … (all gates of each; a kernel that blocks U units per
// thread takes U of them per pass), so WG covers H in as few passes as the
// device allows.
import { BpttError, requireInt } from '../errors';
import { ceilDiv, F32 } from './kernel';

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

/**
 * Check `rows` and `hidden` against the cache size; returns the `override`
 * constants. `unitsPerThread`: hidden units each thread owns (WG covers
 * ceil(H / unitsPerThread) threads, rounded up to 32).
 */
export function gatedConstants(device: GPUDevice, name: string, hidden: number, rows: number, floatsPerUnit: number, unitsPerThread = 1): Record<string, number | boolean> {
  if (rows !== 1 && rows !== 2 && rows !== 4 && rows !== 8) throw new BpttError(`${name}.rows`, String(rows), 'must be 1, 2 or 4, or 8');
  const limit = maxHiddenFor(device, rows, floatsPerUnit);
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > limit) {
    throw new BpttError(
      `${name}.hidden`,
      String(hidden),
      `must be an integer in [1, ${limit}] (maxComputeWorkgroupStorageSize = ${device.limits.maxComputeWorkgroupStorageSize} bytes holds ${floatsPerUnit}·rows·H floats, rows = ${rows})`,
    );
  }
  const WG = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX, 256, ceilDiv(ceilDiv(hidden, unitsPerThread), 32) * 32);
  return { WG, ROWS: rows, H_MAX: hidden };
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

/** Sequences per workgroup: the most of 4, 2, 1 that the batch and `maxHidden` allow. */
export function chooseRows(maxHidden: (rows: number) => number, hidden: number, batch: number): number {
  for (const rows of [4, 2]) if (batch >= rows && hidden <= maxHidden(rows)) return rows;
  return 1;
}
