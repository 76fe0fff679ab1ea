import code from '../../shaders/clip_update.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { STATS } from '../gpu/stats';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';
import { lrScheduleFrom, type LrScheduleSpec } from '../util/schedule';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const CLIP_UPDATE_WGSL = code;
const Params = uniformStruct({
  n: 'u32', lr: 'f32', clip: 'f32', beta1: 'f32', beta2: 'f32', eps: 'f32',
  sched: 'u32', warmup: 'u32', every: 'u32', gamma: 'f32', total: 'u32', lr_min: 'f32',
});
const SCHEDULE_CODE = { constant: 0, step: 1, cosine: 2 } as const;
const WG = 256;

/** 'sgd' (d2l), 'adagrad' (min-char-rnn) or 'adam'. */
export type OptimizerKind = 'sgd' | 'adagrad' | 'adam';
const OPTIMIZER_CODE: Record<OptimizerKind, number> = { sgd: 0, adagrad: 1, adam: 2 };

// The step statistics block's layout lives in src/gpu/stats.ts.
export { STATS, type StepStats } from '../gpu/stats';

/** The parameters of the fused clip + update kernel. */
export interface ClipUpdateDims {
  /** Number of parameters (flat; P, G, S1, S2 share one layout). */
  n: number;
  /** The base learning rate. */
  lr: number;
  /** How the rate changes with the step counter (default constant; checked by lrScheduleFrom). */
  schedule?: LrScheduleSpec;
  /** Clip threshold θ on the global gradient norm; 0 turns clipping off. */
  clip: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Global-norm clipping fused with SGD, Adagrad or Adam, decided on the GPU:
 * `finalize` turns Σg² into the norm, the clip scale and the skip flag (NaN or
 * Inf loss/norm: the weights stay untouched) and the scheduled learning rate
 * from the step counter, `update` applies the step.
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
      const s = lrScheduleFrom(d.schedule ?? { kind: 'constant' }, 'schedule');
      const sched = {
        sched: SCHEDULE_CODE[s.kind],
        warmup: s.warmup ?? 0,
        every: s.kind === 'step' ? s.every : 1,
        gamma: s.kind === 'step' ? s.gamma : 1,
        total: s.kind === 'cosine' ? s.total : 0,
        lr_min: s.kind === 'cosine' ? (s.min ?? 0) : 0,
      };
      return k.bindChecked(
        b,
        { n, lr: d.lr, clip: d.clip, beta1: d.beta1 ?? 0.9, beta2: d.beta2 ?? 0.999, eps: d.eps ?? 1e-8, ...sched },
        { stats: STATS.byteSize, params: n * F32, grads: n * F32, s1: optimizer === 'sgd' ? 0 : n * F32, s2: optimizer === 'adam' ? n * F32 : 0 },
        [[1, 1, 1], [Math.min(ceilDiv(n, WG), 65535), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
