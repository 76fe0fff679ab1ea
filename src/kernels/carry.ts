import code from '../../shaders/carry_state.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { STATS } from '../gpu/stats';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const CARRY_STATE_WGSL = code;
const Params = uniformStruct({ n: 'u32' });

/** h0 ← the last final state, or zero after a skipped (non-finite) step. */
export function createCarryState(device: GPUDevice): KernelHandle<{ last: GPUBuffer; stats: GPUBuffer; hs: GPUBuffer }, { n: number }> {
  const k = new Kernel(device, { name: 'carry_state', code, entryPoints: ['main'], params: Params, bindings: [['last', 'read'], ['stats', 'read'], ['hs', 'rw']] }, { WG: 64, SKIPPED: STATS.skipped });
  return {
    layout: k.layout,
    bind(b: { last: GPUBuffer; stats: GPUBuffer; hs: GPUBuffer }, d: { n: number }): Bound {
      return k.bindChecked(b, { n: d.n }, { last: d.n * F32, stats: STATS.byteSize, hs: d.n * F32 }, [[ceilDiv(d.n, 64), 1, 1]]);
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
