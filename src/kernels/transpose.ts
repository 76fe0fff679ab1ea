import code from '../../shaders/transpose.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const TRANSPOSE_WGSL = code;
const Params = uniformStruct({ rows: 'u32', cols: 'u32', x_offset: 'u32' });

/** out (cols, rows) = Xᵀ for an (rows, cols) row-major X at element xOffset. */
export function createTranspose(device: GPUDevice): KernelHandle<{ x: GPUBuffer; out: GPUBuffer }, { rows: number; cols: number; xOffset?: number }> {
  const k = new Kernel(device, { name: 'transpose', code, entryPoints: ['main'], params: Params, bindings: [['x', 'read'], ['out', 'rw']] }, {});
  return {
    layout: k.layout,
    bind(b: { x: GPUBuffer; out: GPUBuffer }, d: { rows: number; cols: number; xOffset?: number }): Bound {
      const xo = d.xOffset ?? 0;
      return k.bindChecked(b, { rows: d.rows, cols: d.cols, x_offset: xo }, { x: (xo + d.rows * d.cols) * F32, out: d.rows * d.cols * F32 }, [
        [ceilDiv(d.cols, 8), ceilDiv(d.rows, 8), 1],
      ]);
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
