import xentCode from '../../shaders/softmax_xent.wgsl';
import mseCode from '../../shaders/mse_loss.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, F32, ceilDiv, grid2d, type Bound, type KernelHandle } from './kernel';
import { bindWithDefault } from './defaults';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const SOFTMAX_XENT_WGSL = xentCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const MSE_LOSS_WGSL = mseCode;

const Params = uniformStruct({ R: 'u32', Q: 'u32', scale: 'f32', r0: 'u32' });

/** The loss kernels' dims: R rows of Q outputs, each row's loss times `scale` and its weight; rows before `r0` (default 0) count for nothing. */
export interface LossDims {
  R: number;
  Q: number;
  scale: number;
  r0?: number;
}

/** 'softmax-xent' on class ids (character models), 'mse' on dense targets. */
export type LossKind = 'softmax-xent' | 'mse';

/** The buffers of the loss kernels. */
export interface LossBuffers {
  /** Outputs O: (R, Q). */
  o: GPUBuffer;
  /** softmax-xent: (R) u32 class ids; mse: (R, Q) f32. */
  targets: GPUBuffer;
  /** ∂L/∂O: (R, Q), written. */
  dO: GPUBuffer;
  /** Per-row loss times scale and weight: (R), written; their sum is L. */
  lossRows: GPUBuffer;
  /** Per-row weights w_r ≥ 0: (R) f32 (default: all 1). A row of weight 0 gets loss and gradient 0. */
  weights?: GPUBuffer;
}

/**
 * A fused loss and gradient: softmax cross-entropy on class ids, or mean
 * squared error on dense targets, each row's loss times `scale` and its
 * weight w_r; rows before `r0` and rows of weight 0 get loss and gradient 0.
 */
export function createLoss(device: GPUDevice, kind: LossKind): KernelHandle<LossBuffers, LossDims> & { readonly kind: LossKind } {
  const threads = 64;
  const k = new Kernel(
    device,
    {
      name: kind === 'mse' ? 'mse_loss' : 'softmax_xent',
      code: kind === 'mse' ? mseCode : xentCode,
      entryPoints: ['main'],
      params: Params,
      bindings: [['o', 'read'], ['targets', 'read'], ['dO', 'rw'], ['lossRows', 'rw'], ['weights', 'read']],
    },
    { WG: threads },
  );
  return {
    layout: k.layout,
    kind,
    bind(b: LossBuffers, d: LossDims): Bound {
      const groups = ceilDiv(d.R, threads);
      const [x, y] = grid2d(groups);
      return bindWithDefault(device, b.weights, `${kind}.weights`, d.R, 1, 'f32', (weights) =>
        k.bindChecked(
          { ...b, weights },
          { R: d.R, Q: d.Q, scale: d.scale, r0: d.r0 ?? 0 },
          { o: d.R * d.Q * F32, targets: kind === 'mse' ? d.R * d.Q * F32 : d.R * 4, dO: d.R * d.Q * F32, lossRows: d.R * F32, weights: d.R * F32 },
          [[x, y, 1]],
        ),
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
