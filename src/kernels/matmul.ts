import { uniformStruct } from '../gpu/uniform';
import { softwareDevice } from '../gpu/device';
import { BpttError, show } from '../errors';
import { Kernel, kernelLayout, ceilDiv, F32, ACTIVATION_CODE, type Activation, type Bound, type KernelHandle } from './kernel';
import { chosenVariant } from './matmul-choice';
import { matmulWgsl } from './matmul-wgsl';
import { MATMUL_VARIANTS, MATMUL_FALLBACK, matmulBlockFits, parseMatmulVariant, type MatmulVariant } from './matmul-spec';

export { MATMUL_VARIANTS, MATMUL_FALLBACK, type MatmulVariant } from './matmul-spec';

// Each shader's text is generated from matmul-spec.ts by matmul-wgsl.ts; the
// library build also ships it as webgpu-bptt/wgsl/<file>.
/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl): scalar loads, 4×4 per thread. */
export const MATMUL_WGSL = /* @__PURE__ */ matmulWgsl('scalar');
/** vec4 loads from array<vec4f>, 4×4 of C per thread. */
export const MATMUL_VEC4_WGSL = /* @__PURE__ */ matmulWgsl('vec4');
/** vec4 loads, 4×8 of C per thread. */
export const MATMUL_VEC4_4X8_WGSL = /* @__PURE__ */ matmulWgsl('vec4-4x8');
/** vec4 loads, 8×8 of C per thread. */
export const MATMUL_VEC4_8X8_WGSL = /* @__PURE__ */ matmulWgsl('vec4-8x8');
/** Scalar loads, 8×8 of C per thread, k one at a time. */
export const MATMUL_8X8_WGSL = /* @__PURE__ */ matmulWgsl('8x8');
/** 8×8 per thread, B read as vec4 along n (op(B) = B only). */
export const MATMUL_8X8_VEC4B_WGSL = /* @__PURE__ */ matmulWgsl('8x8-vb');
/** 8×8 per thread, Aᵀ as vec4 along m and B as vec4 along n (weight gradients). */
export const MATMUL_8X8_VEC4AB_WGSL = /* @__PURE__ */ matmulWgsl('8x8-vab');
/** 8×8 per thread, scalar loads, k unrolled by 4. */
export const MATMUL_8X8_K4_WGSL = /* @__PURE__ */ matmulWgsl('8x8-k4');
/** 8×8 per thread, B as vec4 along n, k unrolled by 4. */
export const MATMUL_8X8_VEC4B_K4_WGSL = /* @__PURE__ */ matmulWgsl('8x8-vb-k4');
/** 4×8 per thread, scalar loads, k one at a time. */
export const MATMUL_4X8_WGSL = /* @__PURE__ */ matmulWgsl('4x8');
/** 4×8 per thread, B as vec4 along n, k one at a time. */
export const MATMUL_4X8_VEC4B_WGSL = /* @__PURE__ */ matmulWgsl('4x8-vb');

/**
 * Rows (and columns) of C one workgroup of the fallback variant
 * (MATMUL_FALLBACK: scalar loads, 4 per thread × 8 threads) covers; every
 * variant covers at least this many or falls back to it when its dispatch
 * would not fit the device.
 */
export const MATMUL_TILE = 32;

function parseVariant(v: string) {
  if (!(MATMUL_VARIANTS as readonly string[]).includes(v)) throw new BpttError('matmul.variant', show(v), `must be one of ${MATMUL_VARIANTS.join(', ')}`);
  return parseMatmulVariant(v as MatmulVariant);
}

/** The Params block every matmul shader of the family declares (bench/ab-gemm.ts compiles edited copies against it). */
export const MATMUL_PARAMS = uniformStruct({
  M: 'u32', N: 'u32', K: 'u32', a_offset: 'u32', b_offset: 'u32', c_offset: 'u32', bias_offset: 'u32', beta: 'f32',
});
type MatmulKernel = Kernel<'a' | 'b' | 'c' | 'bias', 'M' | 'N' | 'K' | 'a_offset' | 'b_offset' | 'c_offset' | 'bias_offset' | 'beta'>;

/** Pipeline options of createMatmul (compiled in as WGSL overrides). */
export interface MatmulOptions {
  /** A is stored K×M and op(A) = Aᵀ. */
  transA?: boolean;
  /** B is stored N×K and op(B) = Bᵀ. */
  transB?: boolean;
  /** Add bias[N] to every row of the product. */
  bias?: boolean;
  /** Applied last, elementwise. */
  activation?: Activation;
  /**
   * Always use this variant (one of MATMUL_VARIANTS) where it fits the
   * shape. Default: the device's pinned variant (pinMatmulVariant), else the
   * one tuneMatmul found fastest at the shape's bucket, else a heuristic.
   */
  variant?: MatmulVariant;
}

/** The buffers of createMatmul, each with STORAGE usage. */
export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
  /** Required when the kernel was made with `bias: true`; ignored otherwise. */
  bias?: GPUBuffer;
}

/** The sizes and offsets of one matmul, C (M×N) from op(A) (M×K) and op(B) (K×N). */
export interface MatmulDims {
  M: number;
  N: number;
  K: number;
  /** Element offsets of each operand in its buffer (default 0). */
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  biasOffset?: number;
  /** C = beta·C + op(A)·op(B); beta = 0 (default) overwrites C. */
  beta?: number;
}

/** A binding of createMatmul: the variant chosen for its dims. */
export interface MatmulBound extends Bound {
  readonly variant: MatmulVariant;
}

/** What createMatmul returns: a kernel handle whose bind() reports the variant it chose. */
export interface MatmulKernelHandle extends KernelHandle<MatmulBuffers, MatmulDims> {
  readonly options: MatmulOptions;
  /** See KernelHandle.bind; the variant is chosen here, from the dims. */
  bind(buffers: MatmulBuffers, dims: MatmulDims): MatmulBound;
}

/** Workgroup counts of `variant` at dims d. */
function workgroups(variant: MatmulVariant, d: MatmulDims): [number, number, number] {
  const { spec, wx, wy } = parseVariant(variant);
  return [ceilDiv(d.N, spec.tn * wx), ceilDiv(d.M, spec.tm * wy), 1];
}

/**
 * Whether `variant` can run C = op(A)·op(B) at dims `d` on `device`: its
 * shader's vec4 loads and k steps fit the shape (matmulBlockFits: K, the
 * operand offsets and the vectorised dimension of each operand multiples of
 * 4 where it reads vec4), and every dispatch fits
 * maxComputeWorkgroupsPerDimension and maxComputeInvocationsPerWorkgroup.
 */
export function matmulVariantFits(device: GPUDevice, variant: MatmulVariant, o: MatmulOptions, d: MatmulDims): boolean {
  const { spec, wx, wy } = parseVariant(variant);
  const lim = device.limits;
  if (wx * wy > lim.maxComputeInvocationsPerWorkgroup || wx > lim.maxComputeWorkgroupSizeX || wy > lim.maxComputeWorkgroupSizeY) return false;
  if (workgroups(variant, d).some((n) => n > lim.maxComputeWorkgroupsPerDimension)) return false;
  return matmulBlockFits(spec, o, d);
}

/**
 * Below this many multiply-adds (M·N·K) a CPU-emulated device runs the scalar
 * kernel by default. Measured on SwiftShader (2 cores): the 8×8 kernel
 * compiles in 0.5–0.6 s per option set against 0.13 s, and saves 7–30 µs per
 * GEMM at 16³–32³ but 0.5 ms at 64³: under 2¹⁶ the compile would take
 * tens of thousands of steps to pay back. The rule is per GEMM, so a model
 * with small and large GEMMs of the same options compiles both kernels.
 */
export const SMALL_GEMM_MACS = 1 << 16;

/**
 * The variant used where nothing is pinned or tuned. On a CPU-emulated
 * device: 8×8 per thread in 4×4 workgroups (the sweep's usual winner on
 * SwiftShader, and it fits any shape), or the scalar kernel below
 * SMALL_GEMM_MACS. On a GPU: vec4 tiles, 4×4 per thread, in 16×16
 * workgroups where they fit, else the scalar kernel.
 */
export function defaultMatmulVariant(device: GPUDevice, o: MatmulOptions, d: MatmulDims): MatmulVariant {
  const cpu = softwareDevice(device);
  if (cpu && d.M * d.N * d.K < SMALL_GEMM_MACS) return MATMUL_FALLBACK;
  const v: MatmulVariant = cpu ? '8x8@4x4' : 'vec4@16x16';
  return matmulVariantFits(device, v, o, d) ? v : MATMUL_FALLBACK;
}

/** The storage bindings of every matmul variant, in binding order after the Params. */
export const MATMUL_BINDINGS = [['a', 'read'], ['b', 'read'], ['c', 'rw'], ['bias', 'read']] as const;

/**
 * f32 GEMM, C[M×N] = beta·C + op(A)·op(B) (+ bias) then activation, all
 * matrices row-major. The pipeline variant is picked in bind() from the dims
 * (see MatmulOptions.variant); every variant computes the same thing.
 */
export function createMatmul(device: GPUDevice, options: MatmulOptions = {}): MatmulKernelHandle {
  if (options.variant !== undefined) parseVariant(options.variant);
  const constants = {
    TRANS_A: !!options.transA,
    TRANS_B: !!options.transB,
    HAS_BIAS: !!options.bias,
    ACTIVATION: ACTIVATION_CODE[options.activation ?? 'identity'],
  };
  // one pipeline per variant and per beta ≠ 0 (HAS_BETA), made on first use
  const kernels = new Map<string, MatmulKernel>();
  const kernel = (v: MatmulVariant, hasBeta: boolean) => {
    let k = kernels.get(`${v}:${hasBeta}`);
    if (!k) {
      const { shader, spec, wx, wy } = parseVariant(v);
      k = new Kernel(device, { name: spec.label, code: matmulWgsl(shader), entryPoints: ['main'], params: MATMUL_PARAMS, bindings: MATMUL_BINDINGS }, { ...constants, HAS_BETA: hasBeta, WG_X: wx, WG_Y: wy });
      kernels.set(`${v}:${hasBeta}`, k);
    }
    return k;
  };
  const pick = (d: MatmulDims): MatmulVariant => {
    const shape = { M: d.M, N: d.N, K: d.K, transA: options.transA, transB: options.transB };
    for (const v of [options.variant, chosenVariant(device, shape)]) {
      if (v && (MATMUL_VARIANTS as readonly string[]).includes(v) && matmulVariantFits(device, v as MatmulVariant, options, d)) return v as MatmulVariant;
    }
    return defaultMatmulVariant(device, options, d);
  };
  const owners = new WeakMap<Bound, MatmulKernel>();
  return {
    // the fallback's layout (every variant's is the same), without compiling the fallback
    layout: kernelLayout(device, { name: parseVariant(MATMUL_FALLBACK).spec.label, bindings: MATMUL_BINDINGS }),
    options,
    bind(buffers: MatmulBuffers, d: MatmulDims): MatmulBound {
      const ao = d.aOffset ?? 0, bo = d.bOffset ?? 0, co = d.cOffset ?? 0, biasO = d.biasOffset ?? 0;
      const bias = options.bias ? buffers.bias! : buffers.a;
      const variant = pick(d);
      const k = kernel(variant, (d.beta ?? 0) !== 0);
      const bound = k.bindChecked(
        { a: buffers.a, b: buffers.b, c: buffers.c, bias },
        { M: d.M, N: d.N, K: d.K, a_offset: ao, b_offset: bo, c_offset: co, bias_offset: biasO, beta: d.beta ?? 0 },
        {
          a: (ao + d.M * d.K) * F32,
          b: (bo + d.K * d.N) * F32,
          c: (co + d.M * d.N) * F32,
          bias: options.bias ? (biasO + d.N) * F32 : 0,
        },
        [workgroups(variant, d)],
      );
      const out = { ...bound, variant };
      owners.set(out, k);
      return out;
    },
    encode(pass: GPUComputePassEncoder, bound: Bound) {
      const k = owners.get(bound);
      if (!k) throw new BpttError('matmul.bound', 'unknown', 'must come from this kernel’s bind()');
      k.encode(pass, bound);
    },
  };
}
export type Matmul = ReturnType<typeof createMatmul>;
