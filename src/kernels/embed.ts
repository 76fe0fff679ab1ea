import gatherCode from '../../shaders/embed_gather.wgsl';
import gradCode from '../../shaders/embed_grad.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, grid2d, F32, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const EMBED_GATHER_WGSL = gatherCode;
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const EMBED_GRAD_WGSL = gradCode;

const GatherParams = uniformStruct({ R: 'u32', H: 'u32', V: 'u32', w_offset: 'u32', b_offset: 'u32' });
const GradParams = uniformStruct({ H: 'u32', V: 'u32', w_offset: 'u32', beta: 'f32' });
const WG = 64;
/** Rows of Zx each gather workgroup writes (embed_gather.wgsl). */
const ROWS_PER_WG = 8;

function grid(H: number, n: number): [number, number, number] {
  return [ceilDiv(H, WG), ...grid2d(n)];
}

/**
 * Input projection for token inputs: Zx[r, :] = W_hx[:, tokens[r]] (+ b_h),
 * a gather of W_hx's columns (x_t is one-hot; no dense matmul).
 * W_hx: (H, V) row-major at element wOffset of `params`; b_h: (H) at bOffset.
 */
export function createEmbedGather(device: GPUDevice, options: { bias?: boolean } = {}): KernelHandle<{ params: GPUBuffer; tokens: GPUBuffer; zx: GPUBuffer }, { R: number; H: number; V: number; wOffset: number; bOffset?: number }> {
  const k = new Kernel(
    device,
    { name: 'embed_gather', code: gatherCode, entryPoints: ['main'], params: GatherParams, bindings: [['params', 'read'], ['tokens', 'read'], ['zx', 'rw']] },
    { WG, ROWS_PER_WG, HAS_BIAS: !!options.bias },
  );
  return {
    layout: k.layout,
    bind(b: { params: GPUBuffer; tokens: GPUBuffer; zx: GPUBuffer }, d: { R: number; H: number; V: number; wOffset: number; bOffset?: number }): Bound {
      const bOffset = d.bOffset ?? 0;
      return k.bindChecked(
        b,
        { R: d.R, H: d.H, V: d.V, w_offset: d.wOffset, b_offset: bOffset },
        { params: (Math.max(d.wOffset + d.H * d.V, options.bias ? bOffset + d.H : 0)) * F32, tokens: d.R * 4, zx: d.R * d.H * F32 },
        [grid(d.H, ceilDiv(d.R, ROWS_PER_WG))],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * ∂L/∂W_hx for token inputs: dW_hx[j, v] = beta·dW_hx[j, v] + Σ_{r: tokens[r] = v} dZ[r, j],
 * with the rows grouped by token beforehand (see `bucketByToken`). No atomics;
 * deterministic. dW_hx: (H, V) row-major at element wOffset of `grads`.
 */
export function createEmbedGrad(device: GPUDevice): KernelHandle<{ dZ: GPUBuffer; start: GPUBuffer; order: GPUBuffer; grads: GPUBuffer }, { R: number; H: number; V: number; wOffset: number; beta?: number }> {
  const k = new Kernel(
    device,
    { name: 'embed_grad', code: gradCode, entryPoints: ['main'], params: GradParams, bindings: [['dZ', 'read'], ['start', 'read'], ['order', 'read'], ['grads', 'rw']] },
    { WG },
  );
  return {
    layout: k.layout,
    bind(b: { dZ: GPUBuffer; start: GPUBuffer; order: GPUBuffer; grads: GPUBuffer }, d: { R: number; H: number; V: number; wOffset: number; beta?: number }): Bound {
      return k.bindChecked(
        b,
        { H: d.H, V: d.V, w_offset: d.wOffset, beta: d.beta ?? 0 },
        { dZ: d.R * d.H * F32, start: (d.V + 1) * 4, order: d.R * 4, grads: (d.wOffset + d.H * d.V) * F32 },
        [grid(d.H, d.V)],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}

/**
 * Group row indices by token (a counting sort): rows with token v are
 * order[start[v] .. start[v + 1]), in increasing row order; rows that `keep`
 * rejects (padding, whose gradient is 0) are left out.
 * tokens: (R) ids < V. Returns start: (V + 1), order: (R; start[V] of them used).
 */
export function bucketByToken(tokens: Uint32Array, V: number, start: Uint32Array = new Uint32Array(V + 1), order: Uint32Array = new Uint32Array(tokens.length), keep: (r: number) => boolean = () => true) {
  start.fill(0);
  for (let r = 0; r < tokens.length; r++) if (keep(r)) start[tokens[r] + 1]++;
  for (let v = 0; v < V; v++) start[v + 1] += start[v];
  const next = start.slice(0, V);
  for (let r = 0; r < tokens.length; r++) if (keep(r)) order[next[tokens[r]]++] = r;
  return { start, order };
}
