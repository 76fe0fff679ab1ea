// What the six sequence-recurrence kernels (rnn.ts, lstm.ts, gru.ts: forward
// and reverse) share on the host, as their WGSL shares one template
// (recurrence-wgsl.ts): each workgroup walks `rows` sequences through every
// step of a window, so a binding is one dispatch of ceil(B / rows)
// workgroups; the pipeline's constants are the workgroup size, ROWS and
// H_MAX (H sizes the workgroup cache, so it is checked against the device's
// workgroup memory); the forward kernels take optional sequence lengths
// (default: every step real); the reverse ones read ξ and the loss mask from
// one buffer. Each kernel keeps its own names, dims checks and messages.
import { BpttError } from '../errors';
import { softwareDevice } from '../gpu/device';
import type { UniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, F32, type Access, type Bound, type Constants, type KernelHandle } from './kernel';
import { bindWithDefault, NO_LENGTH } from './defaults';

/** The sequences one workgroup of a sequence recurrence kernel can walk (its `rows`). */
export const RECURRENCE_ROWS: readonly number[] = [1, 2, 4, 8];

/** Pipeline options of a sequence recurrence kernel (the rnn's add its activation). */
export interface SequenceKernelOptions {
  /** Hidden size H (fixed per pipeline: it sizes the workgroup cache). */
  hidden: number;
  /** Sequences per workgroup: 1, 2, 4 or 8 (default 1). */
  rows?: number;
  /** Forward only: add the recurrent bias b_hh (PyTorch's bias_hh_l{k}) from `params` at `bOffset`. */
  bias?: boolean;
}

/** A sequence recurrence kernel: a KernelHandle, and the sequences per workgroup it was built for. */
export type SequenceKernelHandle<B, D> = KernelHandle<B, D> & { readonly rows: number };

/** The WGSL, uniform Params and storage bindings of one sequence recurrence kernel (its one entry point is `main`). */
export interface SequenceKernelSpec<K extends string, P extends string> {
  /** The kernel's name: the prefix of its buffers' error fields (`lstm_forward.zx`). */
  name: string;
  code: string;
  params: UniformStruct<P>;
  /** Storage bindings 1, 2, … in order; a binding named `lengths` is optional in `bind` (default: every step real). */
  bindings: readonly (readonly [K, Access])[];
}

/** What one binding needs: its Params values and the bytes each storage buffer must hold. */
export interface SequenceBinding<K extends string, P extends string> {
  uniforms: Record<P, number>;
  bytes: Record<K, number>;
}

/**
 * The kernel of `spec` with `constants` (their ROWS = `rows`): `bind`
 * checks the dims with `prepare` (which throws the kernel's own errors and
 * gives the Params and the bytes each buffer needs), then the buffers, and
 * makes one dispatch of ceil(B / rows) workgroups; a `lengths` binding left
 * out gets a buffer of "every step real" that the Bound owns.
 */
export function sequenceKernel<K extends string, P extends string, B extends Partial<Record<K, GPUBuffer>>, D extends { B: number }>(
  device: GPUDevice,
  spec: SequenceKernelSpec<K, P>,
  constants: Constants,
  rows: number,
  prepare: (d: D) => SequenceBinding<K, P>,
): SequenceKernelHandle<B, D> {
  const k = new Kernel<K, P>(device, { ...spec, entryPoints: ['main'] }, constants);
  const lengths = spec.bindings.some(([name]) => name === 'lengths');
  return {
    layout: k.layout,
    rows,
    bind(b: B, d: D): Bound {
      const { uniforms, bytes } = prepare(d);
      const bindAll = (buffers: Record<K, GPUBuffer>) => k.bindChecked(buffers, uniforms, bytes, [[ceilDiv(d.B, rows), 1, 1]]);
      if (!lengths) return bindAll(b as Record<K, GPUBuffer>);
      const given = (b as Partial<Record<string, GPUBuffer>>).lengths;
      return bindWithDefault(device, given, `${spec.name}.lengths`, d.B, NO_LENGTH, 'u32', (l) => bindAll({ ...b, lengths: l } as Record<K, GPUBuffer>));
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * Check `rows` (1, 2, 4 or 8) and `hidden` (an integer in [1, limit], the
 * most H whose workgroup cache of `holds` fits) and return the `override`
 * constants WG, ROWS and H_MAX. `unitsPerThread`: the hidden units each
 * thread owns (WG covers ceil(H / unitsPerThread) threads, rounded up to 32).
 * The errors name `${prefix}rows` and `${prefix}hidden`.
 */
export function sequenceConstants(device: GPUDevice, prefix: string, hidden: number, rows: number, limit: (rows: number) => number, holds: string, unitsPerThread: number): Constants {
  if (!RECURRENCE_ROWS.includes(rows)) throw new BpttError(`${prefix}rows`, String(rows), 'must be 1, 2 or 4, or 8');
  const max = limit(rows);
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > max) {
    throw new BpttError(
      `${prefix}hidden`,
      String(hidden),
      `must be an integer in [1, ${max}] (maxComputeWorkgroupStorageSize = ${device.limits.maxComputeWorkgroupStorageSize} bytes holds ${holds}, rows = ${rows})`,
    );
  }
  const WG = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX, 256, ceilDiv(ceilDiv(hidden, unitsPerThread), 32) * 32);
  return { WG, ROWS: rows, H_MAX: hidden };
}

/**
 * Sequences per workgroup when none is given or tuned: the most that the
 * batch and `maxHidden` allow, of 8, 4, 2, 1 on a software adapter and of
 * 4, 2, 1 elsewhere. On SwiftShader tuneRecurrenceRows picked rows 8 for the
 * S, M and LSTM workloads in all but a few bench runs (1.1–2.1× faster than
 * rows 4; where it picked 4, the two were within 3%). On a GPU, rows 8
 * halves the workgroups of rows 4 and nothing here measured it, so the
 * default there stays 4.
 */
export function chooseRows(device: GPUDevice, maxHidden: (rows: number) => number, hidden: number, batch: number): number {
  for (const rows of softwareDevice(device) ? [8, 4, 2] : [4, 2]) if (batch >= rows && hidden <= maxHidden(rows)) return rows;
  return 1;
}

/** Bytes the `xi` buffer of a reverse binding holds at least: ξ (T, B) from xiOffset and the loss mask (T) from maskOffset, up to step t1. */
export function xiBytes(d: { B: number; t1: number }, xiOffset: number, maskOffset: number): number {
  return Math.max(xiOffset + d.t1 * d.B, maskOffset + d.t1) * F32;
}
