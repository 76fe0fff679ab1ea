import code from '../../shaders/reduce_sum.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const REDUCE_SUM_WGSL = code;
const Params = uniformStruct({ n: 'u32', x_offset: 'u32', n_partials: 'u32', out_index: 'u32' });
const WG = 64;
/** One more partial (workgroup) per WG · VALUES_PER_THREAD values, up to WG partials: a thread sums at most this many values until there are WG partials. */
const VALUES_PER_THREAD = 16;

/**
 * Deterministic two-stage sum: out[outIndex] = Σ_{i<n} X[xOffset + i], or the
 * sum of squares with `square` (the global gradient norm²). `partials` needs
 * 64 floats.
 */
export function createReduceSum(device: GPUDevice, options: { square?: boolean } = {}): KernelHandle<{ x: GPUBuffer; partials: GPUBuffer; out: GPUBuffer }, { n: number; xOffset?: number; outIndex?: number }> {
  const k = new Kernel(
    device,
    { name: 'reduce_sum', code, entryPoints: ['partial', 'total'], params: Params, bindings: [['x', 'read'], ['partials', 'rw'], ['out', 'rw']] },
    { WG, SQUARE: !!options.square },
  );
  return {
    layout: k.layout,
    bind(b: { x: GPUBuffer; partials: GPUBuffer; out: GPUBuffer }, d: { n: number; xOffset?: number; outIndex?: number }): Bound {
      // each partial's workgroup pays a barrier: one per 1,024 values, not one per 64
      const nPartials = Math.max(1, Math.min(WG, ceilDiv(d.n, WG * VALUES_PER_THREAD)));
      const xo = d.xOffset ?? 0, oi = d.outIndex ?? 0;
      return k.bindChecked(
        b,
        { n: d.n, x_offset: xo, n_partials: nPartials, out_index: oi },
        { x: (xo + d.n) * F32, partials: nPartials * F32, out: (oi + 1) * F32 },
        [[nPartials, 1, 1], [1, 1, 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
