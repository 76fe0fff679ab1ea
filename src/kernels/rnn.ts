import forwardCode from '../../shaders/rnn_forward.wgsl';
import backwardCode from '../../shaders/rnn_backward.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { BpttError } from '../errors';
import { Kernel, ceilDiv, F32, ACTIVATION_CODE, type Activation, type Bound, type KernelHandle } from './kernel';
import { bindWithDefault, NO_LENGTH } from './defaults';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const RNN_FORWARD_WGSL = forwardCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const RNN_BACKWARD_WGSL = backwardCode;

const ForwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32', b_offset: 'u32' });
const BackwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32', xi_offset: 'u32', mask_offset: 'u32' });

/** Pipeline options of the recurrence kernels. */
export interface RnnKernelOptions {
  /** Hidden size H (fixed per pipeline: it sizes the workgroup cache). */
  hidden: number;
  activation: Activation;
  /** Sequences per workgroup: 1, 2, 4 or 8 (default 1). */
  rows?: number;
  /** Forward only: add the recurrent bias b_hh (PyTorch's bias_hh_l{k}) from `params` at `bOffset`. */
  bias?: boolean;
}

/** Batch, step range and W_hh offset of one recurrence dispatch. */
export interface RnnDims {
  /** Batch size B. */
  B: number;
  /** Steps t0 ≤ t < t1 of the (T, B, H) tensors. */
  t0: number;
  t1: number;
  /** Element offset of W_hh (H, H) row-major in `params` (the backward pass; the forward reads `weightsT` from 0). */
  wOffset: number;
}

/** The forward recurrence's dims: RnnDims plus where b_hh is. */
export interface RnnForwardDims extends RnnDims {
  /** Element offset of b_hh (H) in `params` (with `bias`). */
  bOffset?: number;
}

/** The reverse recurrence's dims: RnnDims plus where ξ and the loss mask are in `xi`. */
export interface RnnBackwardDims extends RnnDims {
  /** ξ_{t,b} is xi[xiOffset + t·B + b] (default 0: T·B values from the start). */
  xiOffset?: number;
  /** The loss mask m_t is xi[maskOffset + t] (multiplies dHo[t]). */
  maskOffset: number;
}

/** Largest hidden size the recurrence kernels take on `device` with `rows` sequences per workgroup. */
export function maxHidden(device: GPUDevice, rows = 1): number {
  // Forward: 2·rows·H floats of workgroup memory, backward the same, H
  // rounded up to a multiple of 4 (the caches are vec4s).
  return 4 * Math.floor(device.limits.maxComputeWorkgroupStorageSize / (2 * rows * 4 * F32));
}

/** Sequences per workgroup: the most of 4, 2, 1 that the batch and the workgroup memory allow. */
export function autoRows(device: GPUDevice, hidden: number, batch: number): number {
  for (const rows of [4, 2]) if (batch >= rows && hidden <= maxHidden(device, rows)) return rows;
  return 1;
}

function constants(device: GPUDevice, o: RnnKernelOptions) {
  const rows = o.rows ?? 1;
  if (rows !== 1 && rows !== 2 && rows !== 4 && rows !== 8) throw new BpttError('rows', String(rows), 'must be 1, 2 or 4, or 8');
  const limit = maxHidden(device, rows);
  if (!Number.isInteger(o.hidden) || o.hidden < 1 || o.hidden > limit) {
    throw new BpttError(
      'hidden',
      String(o.hidden),
      `must be an integer in [1, ${limit}] (maxComputeWorkgroupStorageSize = ${device.limits.maxComputeWorkgroupStorageSize} bytes holds 2·rows·H floats, H rounded up to a multiple of 4, rows = ${rows})`,
    );
  }
  // Each thread owns 4 hidden units (strided by WG).
  const WG = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, 256, ceilDiv(ceilDiv(o.hidden, 4), 32) * 32);
  return { rows, c: { WG, ROWS: rows, H_MAX: o.hidden, ACTIVATION: ACTIVATION_CODE[o.activation] } as Record<string, number | boolean> };
}

function check(o: RnnKernelOptions, d: RnnDims) {
  if (!(d.t0 <= d.t1)) throw new BpttError('t1', String(d.t1), `must be ≥ t0 = ${d.t0}`);
  return o.hidden;
}

/**
 * The buffers of the forward recurrence. lengths (B) u32: step t of sequence b
 * is real iff t < lengths[b], and padded steps hold the state (default: every
 * step real).
 */
export type RnnForwardBuffers = { weightsT: GPUBuffer; zx: GPUBuffer; hs: GPUBuffer; params: GPUBuffer; lengths?: GPUBuffer };

/**
 * The forward recurrence for steps t0 ≤ t < t1 in one dispatch:
 * Hs[t + 1] = φ(Zx[t] + Hs[t] W_hhᵀ [+ b_hh]). Zx: (T, B, H); Hs: (T + 1, B, H).
 * Reads W_hhᵀ ((H, H) row-major at `wOffset` of `weightsT`; see
 * createTranspose) and, with `bias`, b_hh from `params` at `bOffset`.
 */
export function createRnnForward(device: GPUDevice, options: RnnKernelOptions): KernelHandle<RnnForwardBuffers, RnnForwardDims> & { readonly rows: number } {
  const { rows, c } = constants(device, options);
  c.HAS_BIAS = options.bias ?? false;
  const k = new Kernel(
    device,
    { name: 'rnn_forward', code: forwardCode, entryPoints: ['main'], params: ForwardParams, bindings: [['weightsT', 'read'], ['zx', 'read'], ['hs', 'rw'], ['params', 'read'], ['lengths', 'read']] },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: RnnForwardBuffers, d: RnnForwardDims): Bound {
      const H = check(options, d);
      const bOffset = options.bias ? d.bOffset : 0;
      if (bOffset === undefined) throw new BpttError('bOffset', 'undefined', 'is required with bias');
      return bindWithDefault(device, b.lengths, 'rnn_forward.lengths', d.B, NO_LENGTH, 'u32', (lengths) =>
        k.bindChecked(
          { ...b, lengths },
          { B: d.B, H, t0: d.t0, t1: d.t1, w_offset: d.wOffset, b_offset: bOffset },
          { weightsT: (d.wOffset + H * H) * F32, zx: d.t1 * d.B * H * F32, hs: (d.t1 + 1) * d.B * H * F32, params: options.bias ? (bOffset + H) * F32 : 4, lengths: d.B * 4 },
          [[ceilDiv(d.B, rows), 1, 1]],
        ),
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/** The buffers of the reverse recurrence. */
export type RnnBackwardBuffers = { params: GPUBuffer; hs: GPUBuffer; dHo: GPUBuffer; xi: GPUBuffer; dHc: GPUBuffer; dG: GPUBuffer; dH: GPUBuffer };

/**
 * The reverse-time recurrence for steps t1 > t ≥ t0 in one dispatch, with the
 * multipliers ξ (truncation, per step and sequence) and the loss mask m:
 * dH[t] = m_t·dHo[t] + carry, dG[t] = dH[t] ⊙ φ'(Hs[t + 1]) (∂L/∂z),
 * dHc ← ξ[t, b] · dG[t] W_hh: dHc (B, H) holds ∂L/∂h handed back across steps, in and out.
 */
export function createRnnBackward(device: GPUDevice, options: RnnKernelOptions): KernelHandle<RnnBackwardBuffers, RnnBackwardDims> & { readonly rows: number } {
  const { rows, c } = constants(device, options);
  const k = new Kernel(
    device,
    {
      name: 'rnn_backward',
      code: backwardCode,
      entryPoints: ['main'],
      params: BackwardParams,
      bindings: [['params', 'read'], ['hs', 'read'], ['dHo', 'read'], ['xi', 'read'], ['dHc', 'rw'], ['dG', 'rw'], ['dH', 'rw']],
    },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: RnnBackwardBuffers, d: RnnBackwardDims): Bound {
      const H = check(options, d);
      const xiOffset = d.xiOffset ?? 0;
      return k.bindChecked(
        b,
        { B: d.B, H, t0: d.t0, t1: d.t1, w_offset: d.wOffset, xi_offset: xiOffset, mask_offset: d.maskOffset },
        {
          params: (d.wOffset + H * H) * F32,
          hs: (d.t1 + 1) * d.B * H * F32,
          dHo: d.t1 * d.B * H * F32,
          xi: Math.max(xiOffset + d.t1 * d.B, d.maskOffset + d.t1) * F32,
          dHc: d.B * H * F32,
          dG: d.t1 * d.B * H * F32,
          dH: d.t1 * d.B * H * F32,
        },
        [[ceilDiv(d.B, rows), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
