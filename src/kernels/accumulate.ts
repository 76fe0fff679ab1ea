import code from '../../shaders/accumulate.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, grid2d, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const ACCUMULATE_WGSL = code;
const Params = uniformStruct({ n: 'u32', beta: 'f32' });
const WG = 256;

/**
 * y = x + beta·y over n floats (beta 0 overwrites): the sum of TBPTT's
 * gradient streams before the weight-gradient GEMMs.
 */
export function createAccumulate(device: GPUDevice): KernelHandle<{ x: GPUBuffer; y: GPUBuffer }, { n: number; beta?: number }> {
  const k = new Kernel(device, { name: 'accumulate', code, entryPoints: ['main'], params: Params, bindings: [['x', 'read'], ['y', 'rw']] }, { WG });
  return {
    layout: k.layout,
    bind(b: { x: GPUBuffer; y: GPUBuffer }, d: { n: number; beta?: number }): Bound {
      const groups = ceilDiv(d.n, WG);
      return k.bindChecked(b, { n: d.n, beta: d.beta ?? 0 }, { x: d.n * F32, y: d.n * F32 }, [[...grid2d(groups), 1]]);
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
