// The one spec of the matmul family: each shader (its block of C per thread,
// its vec4 loads, its k unrolling), the workgroup sizes it runs at, the
// variant names, and what each needs of a shape. matmul-wgsl.ts writes each
// shader's text from it, and matmul.ts's variant list and fits-check read it. Pure data and arithmetic:
// no GPU, no imports.

/**
 * How a shader computes its block: 'reg' holds vec4 accumulators of C and
 * steps k by 1 (or by 4, unrolled, with `unroll`); 'tile' steps k by 4 on
 * mat4x4f tiles read as vec4 from both operands.
 */
export type MatmulKind = 'reg' | 'tile';

/** The shape of one shader's code, as the naming scheme sees it. */
export interface MatmulBlock {
  kind: MatmulKind;
  /** Rows (tm) and columns (tn) of C per thread. */
  tm: 4 | 8;
  tn: 4 | 8;
  /** 'reg' only: op(A) = Aᵀ read as vec4 along m / op(B) = B read as vec4 along n. */
  aVec?: boolean;
  bVec?: boolean;
  /** 'reg' only: the k loop unrolled by 4. */
  unroll?: boolean;
}

/**
 * The name of a block in the one naming scheme of the engine's variants and
 * the GEMM sweep (bench/gemm-sweep.ts): 'vec4' / 'vec4-TMxTN' for tiles,
 * 'TMxTN' with '-va', '-vb' or '-vab' for vec4 loads and '-k4' for the
 * unrolled k loop for register blocks — except the 4×4 register block with
 * scalar loads, the first kernel, which is 'scalar'. A variant adds '@WXxWY'.
 */
export function matmulBlockName(b: MatmulBlock): string {
  if (b.kind === 'tile') return b.tm === 4 && b.tn === 4 ? 'vec4' : `vec4-${b.tm}x${b.tn}`;
  const vec = b.aVec && b.bVec ? '-vab' : b.aVec ? '-va' : b.bVec ? '-vb' : '';
  const name = `${b.tm}x${b.tn}${vec}${b.unroll ? '-k4' : ''}`;
  return name === '4x4' ? 'scalar' : name;
}

/** One shader of the family: its block, its file, its export and workgroup sizes. */
export interface MatmulShaderSpec extends MatmulBlock {
  /** shaders/<file>, also shipped as webgpu-bptt/wgsl/<file>. */
  file: string;
  /** The pipeline's label and the kernel's name in errors. */
  label: string;
  /** The constant that exports its WGSL from matmul.ts and the kernels entry. */
  exportName: string;
  /** What the export's doc comment says. */
  doc: string;
  /** Workgroup sizes it runs at, as 'WXxWY' (each one variant). */
  wgs: readonly string[];
  /** The WG_X / WG_Y overrides' defaults in the file. */
  wg: readonly [number, number];
}

/** The family, in the order of MATMUL_VARIANTS. Keys are matmulBlockName(spec). */
export const MATMUL_SHADERS = {
  scalar: { kind: 'reg', tm: 4, tn: 4, file: 'matmul.wgsl', label: 'matmul', exportName: 'MATMUL_WGSL', doc: 'scalar loads, 4×4 per thread', wgs: ['8x8'], wg: [8, 8] },
  vec4: { kind: 'tile', tm: 4, tn: 4, file: 'matmul_vec4.wgsl', label: 'matmul.vec4', exportName: 'MATMUL_VEC4_WGSL', doc: 'vec4 loads from array<vec4f>, 4×4 of C per thread', wgs: ['8x8', '16x4', '16x16'], wg: [8, 8] },
  'vec4-4x8': { kind: 'tile', tm: 4, tn: 8, file: 'matmul_vec4_4x8.wgsl', label: 'matmul.vec4_4x8', exportName: 'MATMUL_VEC4_4X8_WGSL', doc: 'vec4 loads, 4×8 of C per thread', wgs: ['8x8'], wg: [8, 8] },
  'vec4-8x8': { kind: 'tile', tm: 8, tn: 8, file: 'matmul_vec4_8x8.wgsl', label: 'matmul.vec4_8x8', exportName: 'MATMUL_VEC4_8X8_WGSL', doc: 'vec4 loads, 8×8 of C per thread', wgs: ['4x4', '8x8'], wg: [8, 8] },
  '8x8': { kind: 'reg', tm: 8, tn: 8, file: 'matmul_8x8.wgsl', label: 'matmul.8x8', exportName: 'MATMUL_8X8_WGSL', doc: 'scalar loads, 8×8 of C per thread, k one at a time', wgs: ['4x4', '8x8'], wg: [4, 4] },
  '8x8-vb': { kind: 'reg', tm: 8, tn: 8, bVec: true, file: 'matmul_8x8_vec4b.wgsl', label: 'matmul.8x8_vec4b', exportName: 'MATMUL_8X8_VEC4B_WGSL', doc: '8×8 per thread, B read as vec4 along n (op(B) = B only)', wgs: ['4x4', '8x8'], wg: [4, 4] },
  '8x8-vab': { kind: 'reg', tm: 8, tn: 8, aVec: true, bVec: true, file: 'matmul_8x8_vec4ab.wgsl', label: 'matmul.8x8_vec4ab', exportName: 'MATMUL_8X8_VEC4AB_WGSL', doc: '8×8 per thread, Aᵀ as vec4 along m and B as vec4 along n (weight gradients)', wgs: ['4x4'], wg: [4, 4] },
  '8x8-k4': { kind: 'reg', tm: 8, tn: 8, unroll: true, file: 'matmul_8x8_k4.wgsl', label: 'matmul.8x8_k4', exportName: 'MATMUL_8X8_K4_WGSL', doc: '8×8 per thread, scalar loads, k unrolled by 4', wgs: ['4x4'], wg: [4, 4] },
  '8x8-vb-k4': { kind: 'reg', tm: 8, tn: 8, bVec: true, unroll: true, file: 'matmul_8x8_vec4b_k4.wgsl', label: 'matmul.8x8_vec4b_k4', exportName: 'MATMUL_8X8_VEC4B_K4_WGSL', doc: '8×8 per thread, B as vec4 along n, k unrolled by 4', wgs: ['4x4'], wg: [4, 4] },
  '4x8': { kind: 'reg', tm: 4, tn: 8, file: 'matmul_4x8.wgsl', label: 'matmul.4x8', exportName: 'MATMUL_4X8_WGSL', doc: '4×8 per thread, scalar loads, k one at a time', wgs: ['8x8'], wg: [8, 8] },
  '4x8-vb': { kind: 'reg', tm: 4, tn: 8, bVec: true, file: 'matmul_4x8_vec4b.wgsl', label: 'matmul.4x8_vec4b', exportName: 'MATMUL_4X8_VEC4B_WGSL', doc: '4×8 per thread, B as vec4 along n, k one at a time', wgs: ['8x8'], wg: [8, 8] },
} as const satisfies Record<string, MatmulShaderSpec>;

/** A shader of the family, by its block name. */
export type MatmulShader = keyof typeof MATMUL_SHADERS;
type Variants = { [S in MatmulShader]: `${S}@${(typeof MATMUL_SHADERS)[S]['wgs'][number]}` };
/** One of MATMUL_VARIANTS: `shader@WXxWY`. */
export type MatmulVariant = Variants[MatmulShader];

/** Every (shader, workgroup size) pair of the spec, in its order. */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = (Object.entries(MATMUL_SHADERS) as [MatmulShader, MatmulShaderSpec][]).flatMap(
  ([name, s]) => s.wgs.map((wg) => `${name}@${wg}` as MatmulVariant),
);

/** The variant that fits every shape and dispatch the engine can make. */
export const MATMUL_FALLBACK: MatmulVariant = 'scalar@8x8';

/** Layout flags of a matmul, as the fits-check sees them. */
export interface MatmulLayout {
  transA?: boolean;
  transB?: boolean;
}

/** Sizes and element offsets, as the fits-check sees them. */
export interface MatmulExtent {
  M: number;
  N: number;
  K: number;
  aOffset?: number;
  bOffset?: number;
}

const four = (n: number | undefined) => (n ?? 0) % 4 === 0;

/**
 * Whether a shader's vec4 loads and k steps can read op(A)·op(B) at this
 * layout and extent: tiles need K, both offsets, M for Aᵀ and N for B
 * multiples of 4; a register block's B vec4 needs no Bᵀ, N and the B offset
 * multiples of 4; its A vec4 needs Aᵀ, M and the A offset multiples of 4;
 * its unrolled k loop needs K a multiple of 4. Scalar loads fit any shape.
 */
export function matmulBlockFits(b: MatmulBlock, o: MatmulLayout, d: MatmulExtent): boolean {
  if (b.kind === 'tile') return four(d.K) && four(d.aOffset) && four(d.bOffset) && (!o.transA || four(d.M)) && (!!o.transB || four(d.N));
  if (b.bVec && !(!o.transB && four(d.N) && four(d.bOffset))) return false;
  if (b.aVec && !(o.transA && four(d.M) && four(d.aOffset))) return false;
  return !b.unroll || four(d.K);
}

/** A variant's shader and workgroup size. */
export function parseMatmulVariant(v: MatmulVariant): { shader: MatmulShader; spec: MatmulShaderSpec; wx: number; wy: number } {
  const [shader, wg] = v.split('@') as [MatmulShader, string];
  const [wx, wy] = wg.split('x').map(Number);
  return { shader, spec: MATMUL_SHADERS[shader], wx, wy };
}
