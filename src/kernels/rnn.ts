import forwardCode from '../../shaders/rnn_forward.wgsl';
import backwardCode from '../../shaders/rnn_backward.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { BpttError } from '../errors';
import { Kernel, ceilDiv, F32, ACTIVATION_CODE, type Activation, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const RNN_FORWARD_WGSL = forwardCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const RNN_BACKWARD_WGSL = backwardCode;

const Params = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32' });

/** Pipeline options of the recurrence kernels. */
export interface RnnKernelOptions {
  /** Hidden size H (fixed per pipeline: it sizes the workgroup cache). */
  hidden: number;
  activation: Activation;
  /** Sequences per workgroup: 1, 2 or 4 (default 1). */
  rows?: number;
}

/** Batch, step range and W_hh offset of one recurrence dispatch. */
export interface RnnDims {
  /** Batch size B. */
  B: number;
  /** Steps t0 ≤ t < t1 of the (T, B, H) tensors. */
  t0: number;
  t1: number;
  /** Element offset of W_hh (H, H) row-major in `params`. */
  wOffset: number;
}

/** Largest hidden size the recurrence kernels take on `device` with `rows` sequences per workgroup. */
export function maxHidden(device: GPUDevice, rows = 1): number {
  // Forward: 2·rows·H floats of workgroup memory; backward: the same.
  return Math.floor(device.limits.maxComputeWorkgroupStorageSize / (2 * rows * F32));
}

/** Sequences per workgroup: the most of 4, 2, 1 that the batch and the workgroup memory allow. */
export function autoRows(device: GPUDevice, hidden: number, batch: number): number {
  for (const rows of [4, 2]) if (batch >= rows && hidden <= maxHidden(device, rows)) return rows;
  return 1;
}

function constants(device: GPUDevice, o: RnnKernelOptions) {
  const rows = o.rows ?? 1;
  if (rows !== 1 && rows !== 2 && rows !== 4) throw new BpttError('rows', String(rows), 'must be 1, 2 or 4');
  const limit = maxHidden(device, rows);
  if (!Number.isInteger(o.hidden) || o.hidden < 1 || o.hidden > limit) {
    throw new BpttError(
      'hidden',
      String(o.hidden),
      `must be an integer in [1, ${limit}] (maxComputeWorkgroupStorageSize = ${device.limits.maxComputeWorkgroupStorageSize} bytes holds 2·rows·H floats, rows = ${rows})`,
    );
  }
  // Each thread owns 4 hidden units.
  const WG = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, 256, ceilDiv(ceilDiv(o.hidden, 4), 32) * 32);
  return { rows, c: { WG, ROWS: rows, H_MAX: o.hidden, ACTIVATION: ACTIVATION_CODE[o.activation] } };
}

function check(o: RnnKernelOptions, d: RnnDims) {
  if (!(d.t0 <= d.t1)) throw new BpttError('t1', String(d.t1), `must be ≥ t0 = ${d.t0}`);
  return o.hidden;
}

/**
 * The forward recurrence for steps t0 ≤ t < t1 in one dispatch:
 * Hs[t + 1] = φ(Zx[t] + Hs[t] W_hhᵀ). Zx: (T, B, H); Hs: (T + 1, B, H).
 * Reads W_hhᵀ ((H, H) row-major at `wOffset` of `params`; see createTranspose).
 */
export function createRnnForward(device: GPUDevice, options: RnnKernelOptions): KernelHandle<{ weightsT: GPUBuffer; zx: GPUBuffer; hs: GPUBuffer }, RnnDims> & { readonly rows: number } {
  const { rows, c } = constants(device, options);
  const k = new Kernel(
    device,
    { name: 'rnn_forward', code: forwardCode, entryPoints: ['main'], params: Params, bindings: [['weightsT', 'read'], ['zx', 'read'], ['hs', 'rw']] },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: { weightsT: GPUBuffer; zx: GPUBuffer; hs: GPUBuffer }, d: RnnDims): Bound {
      const H = check(options, d);
      return k.bindChecked(
        b,
        { B: d.B, H, t0: d.t0, t1: d.t1, w_offset: d.wOffset },
        { weightsT: (d.wOffset + H * H) * F32, zx: d.t1 * d.B * H * F32, hs: (d.t1 + 1) * d.B * H * F32 },
        [[ceilDiv(d.B, rows), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * The reverse-time recurrence for steps t1 > t ≥ t0 in one dispatch, with the
 * per-step multiplier ξ (truncation): dZ[t] = (dHo[t] + carry) ⊙ φ'(Hs[t + 1]),
 * carry ← ξ[t] · dZ[t] W_hh. dHc (B, H) carries the gradient in and out;
 * dHo is overwritten with the whole ∂L/∂h_t.
 */
export function createRnnBackward(device: GPUDevice, options: RnnKernelOptions): KernelHandle<{ params: GPUBuffer; hs: GPUBuffer; dHo: GPUBuffer; xi: GPUBuffer; dHc: GPUBuffer; dZ: GPUBuffer }, RnnDims> & { readonly rows: number } {
  const { rows, c } = constants(device, options);
  const k = new Kernel(
    device,
    {
      name: 'rnn_backward',
      code: backwardCode,
      entryPoints: ['main'],
      params: Params,
      bindings: [['params', 'read'], ['hs', 'read'], ['dHo', 'rw'], ['xi', 'read'], ['dHc', 'rw'], ['dZ', 'rw']],
    },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(
      b: { params: GPUBuffer; hs: GPUBuffer; dHo: GPUBuffer; xi: GPUBuffer; dHc: GPUBuffer; dZ: GPUBuffer },
      d: RnnDims,
    ): Bound {
      const H = check(options, d);
      return k.bindChecked(
        b,
        { B: d.B, H, t0: d.t0, t1: d.t1, w_offset: d.wOffset },
        {
          params: (d.wOffset + H * H) * F32,
          hs: (d.t1 + 1) * d.B * H * F32,
          dHo: d.t1 * d.B * H * F32,
          xi: d.t1 * F32,
          dHc: d.B * H * F32,
          dZ: d.t1 * d.B * H * F32,
        },
        [[ceilDiv(d.B, rows), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
