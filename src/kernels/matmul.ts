import code from '../../shaders/matmul.wgsl';
import { uniformStruct } from '../gpu/uniform';
import { Kernel, ceilDiv, F32, ACTIVATION_CODE, type Activation, type Bound, type KernelHandle } from './kernel';

/** The raw WGSL of this kernel (also shipped as webgpu-bptt/wgsl/*.wgsl). */
export const MATMUL_WGSL = code;
/** Rows (and columns) of C one workgroup covers: 4 per thread × 8 threads. */
export const MATMUL_TILE = 32;

const Params = uniformStruct({
  M: 'u32', N: 'u32', K: 'u32', a_offset: 'u32', b_offset: 'u32', c_offset: 'u32', bias_offset: 'u32', beta: 'f32',
});

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

/**
 * f32 GEMM, C[M×N] = beta·C + op(A)·op(B) (+ bias) then activation, all
 * matrices row-major. Each thread owns a 4×4 block (8×8 threads per workgroup).
 */
export function createMatmul(device: GPUDevice, options: MatmulOptions = {}): KernelHandle<MatmulBuffers, MatmulDims> & { readonly options: MatmulOptions } {
  const k = new Kernel(
    device,
    {
      name: 'matmul',
      code,
      entryPoints: ['main'],
      params: Params,
      bindings: [['a', 'read'], ['b', 'read'], ['c', 'rw'], ['bias', 'read']],
    },
    {
      TRANS_A: !!options.transA,
      TRANS_B: !!options.transB,
      HAS_BIAS: !!options.bias,
      ACTIVATION: ACTIVATION_CODE[options.activation ?? 'identity'],
    },
  );
  return {
    layout: k.layout,
    options,
    bind(buffers: MatmulBuffers, d: MatmulDims): Bound {
      const ao = d.aOffset ?? 0, bo = d.bOffset ?? 0, co = d.cOffset ?? 0, biasO = d.biasOffset ?? 0;
      const bias = options.bias ? buffers.bias! : buffers.a;
      return k.bindChecked(
        { a: buffers.a, b: buffers.b, c: buffers.c, bias },
        { M: d.M, N: d.N, K: d.K, a_offset: ao, b_offset: bo, c_offset: co, bias_offset: biasO, beta: d.beta ?? 0 },
        {
          a: (ao + d.M * d.K) * F32,
          b: (bo + d.K * d.N) * F32,
          c: (co + d.M * d.N) * F32,
          bias: options.bias ? (biasO + d.N) * F32 : 0,
        },
        [[ceilDiv(d.N, MATMUL_TILE), ceilDiv(d.M, MATMUL_TILE), 1]],
      );
    },
    encode: (pass: GPUComputePassEncoder, bound: Bound) => k.encode(pass, bound),
  };
}
export type Matmul = ReturnType<typeof createMatmul>;
