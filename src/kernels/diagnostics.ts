import normsCode from '../../shaders/segment_norms.wgsl';
import powerCode from '../../shaders/power_iteration.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { BpttError } from '../errors';
import { Kernel, F32, grid2d, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const SEGMENT_NORMS_WGSL = normsCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const POWER_ITERATION_WGSL = powerCode;

const NormParams = uniformStruct({ segments: 'u32', len: 'u32', out_offset: 'u32', x_offset: 'u32' });
const PowerParams = uniformStruct({ H: 'u32', w_offset: 'u32', iters: 'u32', out_offset: 'u32' });

/**
 * out[outOffset + s] = ‖X[xOffset + s·len … xOffset + (s+1)·len)‖ for S
 * segments; with X = ∂L/∂h (T, B, H) and len = B·H, the gradient norm
 * reaching each step.
 */
export function createSegmentNorms(device: GPUDevice): KernelHandle<{ x: GPUBuffer; out: GPUBuffer }, { segments: number; len: number; outOffset?: number; xOffset?: number }> {
  const k = new Kernel(device, { name: 'segment_norms', code: normsCode, entryPoints: ['main'], params: NormParams, bindings: [['x', 'read'], ['out', 'rw']] }, { WG: 64 });
  return {
    layout: k.layout,
    bind(b: { x: GPUBuffer; out: GPUBuffer }, d: { segments: number; len: number; outOffset?: number; xOffset?: number }): Bound {
      const oo = d.outOffset ?? 0, xo = d.xOffset ?? 0;
      return k.bindChecked(b, { segments: d.segments, len: d.len, out_offset: oo, x_offset: xo }, { x: (xo + d.segments * d.len) * F32, out: (oo + d.segments) * F32 }, [
        [...grid2d(d.segments), 1],
      ]);
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * The largest H the power iteration takes on `device`: its two vectors of H
 * floats (v and W v) and 64 floats of partial sums in workgroup memory.
 */
export function powerIterationMaxHidden(device: GPUDevice): number {
  return Math.floor((device.limits.maxComputeWorkgroupStorageSize - 64 * F32) / (2 * F32));
}

/**
 * Power iteration on W_hh ((H, H) row-major at wOffset of `params`): from a
 * fixed unit v_0, y_i = W v_i, growth[i] = ‖y_i‖, v_{i+1} = y_i / ‖y_i‖, for
 * i < iters. spectralRadius(growth) turns it into ρ(W_hh): the product of
 * growth[0..k) is ‖W^k v_0‖, whose k-th root tends to ρ (Gelfand), also when
 * the dominant eigenvalues are a complex pair and v never settles.
 * H ≤ powerIterationMaxHidden(device).
 */
export function createPowerIteration(device: GPUDevice, hidden: number): KernelHandle<{ params: GPUBuffer; growth: GPUBuffer }, { wOffset: number; iters: number; outOffset?: number }> {
  const limit = powerIterationMaxHidden(device);
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > limit) throw new BpttError('hidden', String(hidden), `must be an integer in [1, ${limit}] for power iteration`);
  const k = new Kernel(device, { name: 'power_iteration', code: powerCode, entryPoints: ['main'], params: PowerParams, bindings: [['params', 'read'], ['growth', 'rw']] }, { WG: 64, H_MAX: hidden });
  return {
    layout: k.layout,
    bind(b: { params: GPUBuffer; growth: GPUBuffer }, d: { wOffset: number; iters: number; outOffset?: number }): Bound {
      const oo = d.outOffset ?? 0;
      return k.bindChecked(b, { H: hidden, w_offset: d.wOffset, iters: d.iters, out_offset: oo }, { params: (d.wOffset + hidden * hidden) * F32, growth: (oo + d.iters) * F32 }, [[1, 1, 1]]);
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/** ρ from the growth factors: the geometric mean over the second half of the iterations. */
export function spectralRadius(growth: ArrayLike<number>): number {
  const n = growth.length, from = Math.floor(n / 2);
  let s = 0;
  for (let i = from; i < n; i++) s += Math.log(Math.max(growth[i], 1e-30));
  return Math.exp(s / Math.max(1, n - from));
}
