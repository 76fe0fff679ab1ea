import code from '../../shaders/clip_update.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const CLIP_UPDATE_WGSL = code;
const Params = uniformStruct({ n: 'u32', lr: 'f32', clip: 'f32', beta1: 'f32', beta2: 'f32', eps: 'f32' });
const WG = 256;

/** 'sgd' (d2l), 'adagrad' (min-char-rnn) or 'adam'. */
export type OptimizerKind = 'sgd' | 'adagrad' | 'adam';
const OPTIMIZER_CODE: Record<OptimizerKind, number> = { sgd: 0, adagrad: 1, adam: 2 };

/**
 * The step statistics, a 32-byte storage buffer shared by the loss/norm
 * reductions and the update (the WGSL `struct Stats` of clip_update.wgsl).
 */
export const STATS = {
  byteSize: 32,
  /** f32 slots written by reduce_sum.wgsl. */
  loss: 0,
  gradSumsq: 1,
  /** Decode a read-back copy. */
  decode(buf: ArrayBuffer) {
    const f = new Float32Array(buf, 0, 8);
    const u = new Uint32Array(buf, 0, 8);
    return {
      loss: f[0],
      gradNorm: f[2],
      clipScale: f[3],
      skipped: u[4] !== 0,
      step: u[5],
      skippedTotal: u[6],
      clippedTotal: u[7],
    };
  },
} as const;
/** A step's loss, gradient norm, clip scale, skip flag and counters, as read back. */
export type StepStats = ReturnType<typeof STATS.decode>;

/** The parameters of the fused clip + update kernel. */
export interface ClipUpdateDims {
  /** Number of parameters (flat; P, G, S1, S2 share one layout). */
  n: number;
  lr: number;
  /** Clip threshold θ on the global gradient norm; 0 turns clipping off. */
  clip: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Global-norm clipping fused with SGD, Adagrad or Adam, decided on the GPU:
 * `finalize` turns Σg² into the norm, the clip scale and the skip flag (NaN or
 * Inf loss/norm: the weights stay untouched), `update` applies the step.
 */
export function createClipUpdate(device: GPUDevice, optimizer: OptimizerKind): KernelHandle<{ stats: GPUBuffer; params: GPUBuffer; grads: GPUBuffer; s1: GPUBuffer; s2: GPUBuffer }, ClipUpdateDims> & { readonly optimizer: OptimizerKind } {
  const k = new Kernel(
    device,
    {
      name: 'clip_update',
      code,
      entryPoints: ['finalize', 'update'],
      params: Params,
      bindings: [['stats', 'rw'], ['params', 'rw'], ['grads', 'read'], ['s1', 'rw'], ['s2', 'rw']],
    },
    { WG, OPTIMIZER: OPTIMIZER_CODE[optimizer] },
  );
  return {
    layout: k.layout,
    optimizer,
    bind(b: { stats: GPUBuffer; params: GPUBuffer; grads: GPUBuffer; s1: GPUBuffer; s2: GPUBuffer }, d: ClipUpdateDims): Bound {
      const n = d.n;
      return k.bindChecked(
        b,
        { n, lr: d.lr, clip: d.clip, beta1: d.beta1 ?? 0.9, beta2: d.beta2 ?? 0.999, eps: d.eps ?? 1e-8 },
        { stats: STATS.byteSize, params: n * F32, grads: n * F32, s1: optimizer === 'sgd' ? 0 : n * F32, s2: optimizer === 'adam' ? n * F32 : 0 },
        [[1, 1, 1], [Math.min(ceilDiv(n, WG), 65535), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
