import forwardCode from '../../shaders/gru_forward.wgsl';
import backwardCode from '../../shaders/gru_backward.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { BpttError } from '../errors';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';
import { bindWithDefault, NO_LENGTH } from './defaults';
import { gatedConstants, checkSteps, checkOffset, maxHiddenFor, chooseRows, type GatedBackwardDims } from './gated';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const GRU_FORWARD_WGSL = forwardCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const GRU_BACKWARD_WGSL = backwardCode;

const ForwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', b_offset: 'u32' });
const BackwardParams = uniformStruct({ B: 'u32', H: 'u32', t0: 'u32', t1: 'u32', w_offset: 'u32', xi_offset: 'u32', mask_offset: 'u32', gh_offset: 'u32' });

// Workgroup cache per sequence and hidden unit: the forward keeps h double
// buffered (2 floats), the backward the three gates' ∂L/∂(W_hh h) as one
// vec4 (4 floats).
const FORWARD_FLOATS = 2;
const BACKWARD_FLOATS = 4;

/** Pipeline options of the GRU recurrence kernels. */
export interface GruKernelOptions {
  /** Hidden size H (fixed per pipeline: it sizes the workgroup cache). */
  hidden: number;
  /** Sequences per workgroup: 1, 2, 4 or 8 (default 1). */
  rows?: number;
  /** Forward only: add the recurrent bias b_hh (PyTorch's bias_hh_l{k}) from `params` at `bOffset`. */
  bias?: boolean;
}

/** Batch and step range of one forward dispatch, and where b_hh is. */
export interface GruForwardDims {
  /** Batch size B. */
  B: number;
  /** Steps t0 ≤ t < t1: reads state t0, writes states t0 + 1 … t1. */
  t0: number;
  t1: number;
  /** Element offset of b_hh (3H) in `params` (required with `bias`). */
  bOffset?: number;
}

/** Batch and step range of one reverse dispatch, and where W_hh (3H, H), ξ and the loss mask are. */
export interface GruBackwardDims extends GatedBackwardDims {
  /** Element offset of dGh in dG (default t1·B·3H: right after dGi). */
  ghOffset?: number;
}

/** Largest hidden size the GRU recurrence kernels (both) take on `device` with `rows` sequences per workgroup. */
export function maxHiddenGru(device: GPUDevice, rows = 1): number {
  return maxHiddenFor(device, rows, Math.max(FORWARD_FLOATS, BACKWARD_FLOATS));
}

/** Sequences per workgroup for the GRU kernels: the most of 4, 2, 1 that the batch and the workgroup memory allow. */
export function autoRowsGru(device: GPUDevice, hidden: number, batch: number): number {
  return chooseRows((rows) => maxHiddenGru(device, rows), hidden, batch);
}

/**
 * The buffers of the GRU forward recurrence. weightsT: W_hhᵀ (H, 3H) from 0;
 * params: b_hh (3H) at bOffset (with `bias`); zx (T, B, 3H): x W_ihᵀ + b_ih;
 * hs (T + 1, B, H); gates (T, B, 4H): [r, z, n, hn] per step, hn = W_hn h + b_hn;
 * lengths (B) u32: step t of sequence b is real iff t < lengths[b], padded
 * steps hold h and store zero gates (default: every step real).
 */
export type GruForwardBuffers = { weightsT: GPUBuffer; params: GPUBuffer; zx: GPUBuffer; hs: GPUBuffer; gates: GPUBuffer; lengths?: GPUBuffer };

/**
 * The GRU forward recurrence for steps t0 ≤ t < t1 in one dispatch
 * (PyTorch's equations and gate order r, z, n):
 * r = σ(Zx_r + W_hr h + b_hr), z = σ(Zx_z + W_hz h + b_hz), hn = W_hn h + b_hn,
 * n = tanh(Zx_n + r⊙hn), Hs[t + 1] = (1 − z)⊙n + z⊙Hs[t]; [r, z, n, hn] go to `gates`.
 * Zx: (T, B, 3H); gates: (T, B, 4H); Hs: (T + 1, B, H), state t0 given.
 */
export function createGruForward(device: GPUDevice, options: GruKernelOptions): KernelHandle<GruForwardBuffers, GruForwardDims> & { readonly rows: number } {
  const rows = options.rows ?? 1;
  const c = gatedConstants(device, 'gru_forward', options.hidden, rows, FORWARD_FLOATS);
  c.HAS_BIAS = options.bias ?? false;
  const H = options.hidden;
  const k = new Kernel(
    device,
    {
      name: 'gru_forward',
      code: forwardCode,
      entryPoints: ['main'],
      params: ForwardParams,
      bindings: [['weightsT', 'read'], ['params', 'read'], ['zx', 'read'], ['hs', 'rw'], ['gates', 'rw'], ['lengths', 'read']],
    },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: GruForwardBuffers, d: GruForwardDims): Bound {
      checkSteps('gru_forward', d);
      if (options.bias && d.bOffset === undefined) throw new BpttError('gru_forward.bOffset', 'undefined', 'is required with bias');
      const bOffset = options.bias ? checkOffset('gru_forward.bOffset', d.bOffset) : 0;
      return bindWithDefault(device, b.lengths, 'gru_forward.lengths', d.B, NO_LENGTH, 'u32', (lengths) =>
        k.bindChecked(
          { ...b, lengths },
          { B: d.B, H, t0: d.t0, t1: d.t1, b_offset: bOffset },
          {
            weightsT: 3 * H * H * F32,
            params: options.bias ? (bOffset + 3 * H) * F32 : 4,
            zx: d.t1 * d.B * 3 * H * F32,
            hs: (d.t1 + 1) * d.B * H * F32,
            gates: d.t1 * d.B * 4 * H * F32,
            lengths: d.B * 4,
          },
          [[ceilDiv(d.B, rows), 1, 1]],
        ),
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * The buffers of the GRU reverse recurrence. params: W_hh (3H, H) at wOffset;
 * hs, gates as the forward wrote them; dHo (T, B, H): ∂L/∂h from outside;
 * xi: ξ and the loss mask; dHc (B, H): the carry in and out; written: dG
 * holding dGi (T, B, 3H) then dGh at element `ghOffset`, and dH (T, B, H)
 * (8 storage buffers, WebGPU's default limit per stage).
 */
export type GruBackwardBuffers = {
  params: GPUBuffer;
  hs: GPUBuffer;
  gates: GPUBuffer;
  dHo: GPUBuffer;
  xi: GPUBuffer;
  dHc: GPUBuffer;
  dG: GPUBuffer;
  dH: GPUBuffer;
};

/**
 * The GRU reverse-time recurrence for steps t1 > t ≥ t0 in one dispatch:
 * dH[t] = m_t·dHo[t] + carry; dGi[t] = ∂L/∂ of the input-side pre-activations
 * [r, z, n]; dGh[t] = ∂L/∂(W_hh h + b_hh) per gate = [dr, dz, dn⊙r]; then
 * carry ← ξ[t, b]·(dH[t]⊙z + dGh[t] W_hh) (ξ = 0 gives exactly 0).
 * dHc (B, H) carries the gradient into h_{t1} in and into h_{t0} out.
 */
export function createGruBackward(device: GPUDevice, options: Omit<GruKernelOptions, 'bias'>): KernelHandle<GruBackwardBuffers, GruBackwardDims> & { readonly rows: number } {
  const rows = options.rows ?? 1;
  const c = gatedConstants(device, 'gru_backward', options.hidden, rows, BACKWARD_FLOATS, 4);
  const H = options.hidden;
  const k = new Kernel(
    device,
    {
      name: 'gru_backward',
      code: backwardCode,
      entryPoints: ['main'],
      params: BackwardParams,
      bindings: [
        ['params', 'read'], ['hs', 'read'], ['gates', 'read'], ['dHo', 'read'], ['xi', 'read'],
        ['dHc', 'rw'], ['dG', 'rw'], ['dH', 'rw'],
      ],
    },
    c,
  );
  return {
    layout: k.layout,
    rows,
    bind(b: GruBackwardBuffers, d: GruBackwardDims): Bound {
      checkSteps('gru_backward', d);
      const wOffset = checkOffset('gru_backward.wOffset', d.wOffset);
      const xiOffset = checkOffset('gru_backward.xiOffset', d.xiOffset ?? 0);
      const maskOffset = checkOffset('gru_backward.maskOffset', d.maskOffset);
      const ghOffset = checkOffset('gru_backward.ghOffset', d.ghOffset ?? d.t1 * d.B * 3 * H);
      if (ghOffset < d.t1 * d.B * 3 * H) throw new BpttError('gru_backward.ghOffset', String(ghOffset), `must be ≥ t1·B·3H = ${d.t1 * d.B * 3 * H} (dGh after dGi)`);
      const steps = d.t1 * d.B * H * F32;
      return k.bindChecked(
        b,
        { B: d.B, H, t0: d.t0, t1: d.t1, w_offset: wOffset, xi_offset: xiOffset, mask_offset: maskOffset, gh_offset: ghOffset },
        {
          params: (wOffset + 3 * H * H) * F32,
          hs: (d.t1 + 1) * d.B * H * F32,
          gates: 4 * steps,
          dHo: steps,
          xi: Math.max(xiOffset + d.t1 * d.B, maskOffset + d.t1) * F32,
          dHc: d.B * H * F32,
          dG: ghOffset * F32 + 3 * steps,
          dH: steps,
        },
        [[ceilDiv(d.B, rows), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
