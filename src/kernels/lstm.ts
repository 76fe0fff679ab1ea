import forwardCode from '../../shaders/lstm_forward.wgsl';
import backwardCode from '../../shaders/lstm_backward.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { BpttError } from '../errors';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';
import { bindWithDefault, NO_LENGTH } from './defaults';
import { gatedConstants, checkSteps, checkOffset, maxHiddenFor, chooseRows, type GatedBackwardDims } from './gated';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const LSTM_FORWARD_WGSL = forwardCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const LSTM_BACKWARD_WGSL = backwardCode;

const ForwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', b_offset: 'u32' });
const BackwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32', xi_offset: 'u32', mask_offset: 'u32', c_offset: 'u32' });

// Workgroup cache per sequence and hidden unit: the forward keeps h double
// buffered (2 floats), the backward the four gates' ∂L/∂a (4 floats).
const FORWARD_FLOATS = 2;
const BACKWARD_FLOATS = 4;

/** Pipeline options of the LSTM recurrence kernels. */
export interface LstmKernelOptions {
  /** Hidden size H (fixed per pipeline: it sizes the workgroup cache). */
  hidden: number;
  /** Sequences per workgroup: 1, 2, 4 or 8 (default 1). */
  rows?: number;
  /** Forward only: add the recurrent bias b_hh (PyTorch's bias_hh_l{k}) from `params` at `bOffset`. */
  bias?: boolean;
}

/** Batch and step range of one forward dispatch, and where b_hh is. */
export interface LstmForwardDims {
  /** Batch size B. */
  B: number;
  /** Steps t0 ≤ t < t1: reads state t0, writes states t0 + 1 … t1. */
  t0: number;
  t1: number;
  /** Element offset of b_hh (4H) in `params` (required with `bias`). */
  bOffset?: number;
}

/** Batch and step range of one reverse dispatch, and where W_hh (4H, H), ξ and the loss mask are. */
export interface LstmBackwardDims extends GatedBackwardDims {
  /** Element offset of ∂L/∂c_t in dH (default t1·B·H: right after ∂L/∂h_t). */
  cOffset?: number;
}

/** Largest hidden size the LSTM recurrence kernels (both) take on `device` with `rows` sequences per workgroup. */
export function maxHiddenLstm(device: GPUDevice, rows = 1): number {
  return maxHiddenFor(device, rows, Math.max(FORWARD_FLOATS, BACKWARD_FLOATS));
}

/** Sequences per workgroup for the LSTM kernels: the most of 4, 2, 1 that the batch and the workgroup memory allow. */
export function autoRowsLstm(device: GPUDevice, hidden: number, batch: number): number {
  return chooseRows((rows) => maxHiddenLstm(device, rows), hidden, batch);
}

/**
 * The buffers of the LSTM forward recurrence. weightsT: W_hhᵀ (H, 4H) from 0;
 * params: b_hh (4H) at bOffset (with `bias`); zx (T, B, 4H): x W_ihᵀ + b_ih;
 * hs, cs (T + 1, B, H); gates (T, B, 4H): [σ(i), σ(f), tanh(g), σ(o)] per step.
 */
export type LstmForwardBuffers = { weightsT: GPUBuffer; params: GPUBuffer; zx: GPUBuffer; hs: GPUBuffer; cs: GPUBuffer; gates: GPUBuffer; lengths?: GPUBuffer };

/**
 * The LSTM forward recurrence for steps t0 ≤ t < t1 in one dispatch
 * (PyTorch's equations and gate order i, f, g, o):
 * a = Zx[t] + Hs[t] W_hhᵀ [+ b_hh]; Cs[t + 1] = σ(a_f)⊙Cs[t] + σ(a_i)⊙tanh(a_g);
 * Hs[t + 1] = σ(a_o)⊙tanh(Cs[t + 1]); the activated gates go to `gates`.
 * Zx, gates: (T, B, 4H); Hs, Cs: (T + 1, B, H), state t0 given.
 */
export function createLstmForward(device: GPUDevice, options: LstmKernelOptions): KernelHandle<LstmForwardBuffers, LstmForwardDims> & { readonly rows: number } {
  const rows = options.rows ?? 1;
  const c = gatedConstants(device, 'lstm_forward', options.hidden, rows, FORWARD_FLOATS);
  c.HAS_BIAS = options.bias ?? false;
  const H = options.hidden;
  const k = new Kernel(
    device,
    {
      name: 'lstm_forward',
      code: forwardCode,
      entryPoints: ['main'],
      params: ForwardParams,
      bindings: [['weightsT', 'read'], ['params', 'read'], ['zx', 'read'], ['hs', 'rw'], ['cs', 'rw'], ['gates', 'rw'], ['lengths', 'read']],
    },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: LstmForwardBuffers, d: LstmForwardDims): Bound {
      checkSteps('lstm_forward', d);
      if (options.bias && d.bOffset === undefined) throw new BpttError('lstm_forward.bOffset', 'undefined', 'is required with bias');
      const bOffset = options.bias ? checkOffset('lstm_forward.bOffset', d.bOffset) : 0;
      const state = (d.t1 + 1) * d.B * H * F32;
      const gates = d.t1 * d.B * 4 * H * F32;
      return bindWithDefault(device, b.lengths, 'lstm_forward.lengths', d.B, NO_LENGTH, 'u32', (lengths) =>
        k.bindChecked(
          { ...b, lengths },
          { B: d.B, H, t0: d.t0, t1: d.t1, b_offset: bOffset },
          { weightsT: 4 * H * H * F32, params: options.bias ? (bOffset + 4 * H) * F32 : 4, zx: gates, hs: state, cs: state, gates, lengths: d.B * 4 },
          [[ceilDiv(d.B, rows), 1, 1]],
        ),
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * The buffers of the LSTM reverse recurrence (8 storage buffers, WebGPU's
 * default limit per stage). params: W_hh (4H, H) at wOffset; cs, gates as the
 * forward wrote them; dHo (T, B, H): ∂L/∂h from outside; xi: ξ and the loss
 * mask; dHc (2, B, H): the carries into h, then c, in and out; written: dG
 * (T, B, 4H), and dH: ∂L/∂h_t (T, B, H) then ∂L/∂c_t at element `cOffset`.
 */
export type LstmBackwardBuffers = {
  params: GPUBuffer;
  cs: GPUBuffer;
  gates: GPUBuffer;
  dHo: GPUBuffer;
  xi: GPUBuffer;
  dHc: GPUBuffer;
  dG: GPUBuffer;
  dH: GPUBuffer;
};

/**
 * The LSTM reverse-time recurrence for steps t1 > t ≥ t0 in one dispatch:
 * dH[t] = m_t·dHo[t] + carry_h, dC[t] = carry_c + dH[t]⊙o⊙(1 − tanh²c),
 * dG[t] = ∂L/∂(pre-activation gates i, f, g, o); then
 * carry_c ← ξ[t, b]·dC[t]⊙f and carry_h ← ξ[t, b]·dG[t] W_hh (ξ = 0 gives
 * exactly 0). dHc (2, B, H) carries the gradients into h_{t1}, c_{t1} in and
 * into h_{t0}, c_{t0} out; dH and dC are written to dH (dC at cOffset).
 */
export function createLstmBackward(device: GPUDevice, options: Omit<LstmKernelOptions, 'bias'>): KernelHandle<LstmBackwardBuffers, LstmBackwardDims> & { readonly rows: number } {
  const rows = options.rows ?? 1;
  const c = gatedConstants(device, 'lstm_backward', options.hidden, rows, BACKWARD_FLOATS, 4);
  const H = options.hidden;
  const k = new Kernel(
    device,
    {
      name: 'lstm_backward',
      code: backwardCode,
      entryPoints: ['main'],
      params: BackwardParams,
      bindings: [
        ['params', 'read'], ['cs', 'read'], ['gates', 'read'], ['dHo', 'read'], ['xi', 'read'],
        ['dHc', 'rw'], ['dG', 'rw'], ['dH', 'rw'],
      ],
    },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: LstmBackwardBuffers, d: LstmBackwardDims): Bound {
      checkSteps('lstm_backward', d);
      const wOffset = checkOffset('lstm_backward.wOffset', d.wOffset);
      const xiOffset = checkOffset('lstm_backward.xiOffset', d.xiOffset ?? 0);
      const maskOffset = checkOffset('lstm_backward.maskOffset', d.maskOffset);
      const cOffset = checkOffset('lstm_backward.cOffset', d.cOffset ?? d.t1 * d.B * H);
      if (cOffset < d.t1 * d.B * H) throw new BpttError('lstm_backward.cOffset', String(cOffset), `must be ≥ t1·B·H = ${d.t1 * d.B * H} (∂L/∂c_t after ∂L/∂h_t)`);
      const state = (d.t1 + 1) * d.B * H * F32;
      const steps = d.t1 * d.B * H * F32;
      const carry = d.B * H * F32;
      return k.bindChecked(
        b,
        { B: d.B, H, t0: d.t0, t1: d.t1, w_offset: wOffset, xi_offset: xiOffset, mask_offset: maskOffset, c_offset: cOffset },
        {
          params: (wOffset + 4 * H * H) * F32,
          cs: state,
          gates: 4 * steps,
          dHo: steps,
          xi: Math.max(xiOffset + d.t1 * d.B, maskOffset + d.t1) * F32,
          dHc: 2 * carry,
          dG: 4 * steps,
          dH: cOffset * F32 + steps,
        },
        [[ceilDiv(d.B, rows), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
