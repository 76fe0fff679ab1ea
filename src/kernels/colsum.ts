import code from '../../shaders/colsum.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const COLSUM_WGSL = code;
const Params = uniformStruct({ R: 'u32', N: 'u32', x_offset: 'u32', out_offset: 'u32', beta: 'f32' });
const WG = 64;

/**
 * Column sums out[c] = beta·out[c] + Σ_r X[r, c] of an (R, N) row-major X;
 * the bias gradients db_h = Σ dZ rows, db_q = Σ dO rows.
 */
export function createColsum(device: GPUDevice): KernelHandle<{ x: GPUBuffer; out: GPUBuffer }, { R: number; N: number; xOffset?: number; outOffset?: number; beta?: number }> {
  const k = new Kernel(
    device,
    { name: 'colsum', code, entryPoints: ['main'], params: Params, bindings: [['x', 'read'], ['out', 'rw']] },
    { WG },
  );
  return {
    layout: k.layout,
    bind(b: { x: GPUBuffer; out: GPUBuffer }, d: { R: number; N: number; xOffset?: number; outOffset?: number; beta?: number }): Bound {
      const xo = d.xOffset ?? 0, oo = d.outOffset ?? 0;
      return k.bindChecked(
        b,
        { R: d.R, N: d.N, x_offset: xo, out_offset: oo, beta: d.beta ?? 0 },
        { x: (xo + d.R * d.N) * F32, out: (oo + d.N) * F32 },
        [[ceilDiv(d.N, WG), 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
