// Every matmul variant against the float64 reference (matmul64) at awkward
// shapes: sizes that are not multiples of any block or workgroup, Aᵀ and Bᵀ,
// bias, relu and tanh, beta 0, 1 and 0.5, operands at element offsets. Then
// the choice at bind(): fallback where a variant does not fit, a pinned
// variant, and tuneMatmul's fastest per bucket. Prints each case's error.
import { describe, it, expect } from 'vitest';
import { gpu, relErr, kernelHarness } from './harness';
import { createRng } from '../src/util/rng';
import { createMatmul, matmulVariantFits, defaultMatmulVariant, MATMUL_VARIANTS, MATMUL_FALLBACK, SMALL_GEMM_MACS, type MatmulVariant } from '../src/kernels/matmul';
import { tuneMatmul, pinMatmulVariant, shapeBucket, tunedChoices, clearChoices } from '../src/kernels/tune';
import { stepGemmShapes, tuneRecurrenceRows } from '../src/engine/tune-step';
import { charLmConfig } from '../src/model/config';
import { createNodeDevice } from '../src/node/device';
import { persistKey, chosenVariant } from '../src/kernels/matmul-choice';
import { BpttError } from '../src/errors';
import { liveMemory } from '../src/gpu/buffers';
import type { Activation } from '../src/kernels/kernel';
import * as ref from '../src/reference/kernels64';

const rng = createRng(77);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

interface Case {
  M: number; N: number; K: number;
  transA?: boolean; transB?: boolean; bias?: boolean; activation?: Activation; beta?: number;
  off?: [number, number, number, number];
}
// shapes that fit the vec4 variants (K, and M for Aᵀ / N for B, multiples of 4) but no block size,
// and shapes that fit only the scalar one. The compiled options (Aᵀ, Bᵀ, bias, activation) come in
// four combinations, one per transposition, that between them take every value of each option
// (the loads depend on the transposes, the epilogue on bias and activation); sizes, β and offsets
// are uniforms and vary freely. Each combination is one pipeline per variant on this device.
const OPS = {
  plain: { bias: true, activation: 'relu' },
  tA: { transA: true, activation: 'tanh' },
  tB: { transB: true, bias: true, activation: 'tanh' },
  tAB: { transA: true, transB: true },
} as const satisfies Record<string, Partial<Case>>;
const CASES: Case[] = [
  { M: 13, N: 20, K: 12, ...OPS.plain, beta: 0.5, off: [4, 8, 3, 1] },
  { M: 70, N: 68, K: 12, ...OPS.plain, beta: 1 },
  { M: 12, N: 36, K: 16, ...OPS.tA, beta: 1, off: [8, 4, 5, 0] },
  { M: 76, N: 44, K: 20, ...OPS.tA },
  { M: 9, N: 7, K: 20, ...OPS.tB, off: [0, 4, 2, 3] },
  { M: 37, N: 71, K: 8, ...OPS.tB, beta: 0.5 },
  { M: 20, N: 11, K: 8, ...OPS.tAB, beta: 0.5 },
  { M: 5, N: 3, K: 7, ...OPS.plain, beta: 1 }, // no vec4 variant fits (K = 7)
  { M: 6, N: 10, K: 12, ...OPS.tA }, // no vec4 variant fits (Aᵀ with M = 6)
];

async function runCase(device: GPUDevice, cs: Case, variant: MatmulVariant | undefined) {
  const h = await kernelHarness();
  const [ao, bo, co, biaso] = cs.off ?? [0, 0, 0, 0];
  const { M, N, K } = cs;
  const A = randn(M * K), B = randn(K * N), C0 = randn(M * N), bias = randn(N);
  const put = (off: number, x: Float32Array) => {
    const full = new Float32Array(off + x.length).fill(99); // junk before the operand
    full.set(x, off);
    return h.up(full);
  };
  const mm = createMatmul(device, { transA: cs.transA, transB: cs.transB, bias: cs.bias, activation: cs.activation, variant });
  const c = put(co, C0);
  const bound = mm.bind(
    { a: put(ao, A), b: put(bo, B), c, bias: put(biaso, bias) },
    { M, N, K, aOffset: ao, bOffset: bo, cOffset: co, biasOffset: biaso, beta: cs.beta },
  );
  h.run(mm, bound);
  const got = await h.read(c, M * N, co);
  const want = ref.matmul64(A, B, M, N, K, { transA: cs.transA, transB: cs.transB, bias: cs.bias ? bias : undefined, activation: cs.activation, C: C0, beta: cs.beta });
  return { err: relErr(got, want), used: bound.variant };
}

const label = (c: Case) =>
  `${c.M}x${c.N}x${c.K} tA=${+!!c.transA} tB=${+!!c.transB} bias=${+!!c.bias} ${c.activation ?? 'identity'} beta=${c.beta ?? 0}${c.off ? ' offsets' : ''}`;

describe('every matmul variant against float64', () => {
  for (const v of MATMUL_VARIANTS) {
    it(v, async () => {
      const device = await gpu();
      for (const cs of CASES) {
        const dims = { ...cs, aOffset: cs.off?.[0], bOffset: cs.off?.[1] };
        const fits = matmulVariantFits(device, v, cs, dims);
        const { err, used } = await runCase(device, cs, v);
        console.log(`${v.padEnd(14)} ${label(cs).padEnd(60)} ran ${used.padEnd(14)} max rel error ${err.toExponential(2)}`);
        expect(used).toBe(fits ? v : defaultMatmulVariant(device, cs, dims));
        expect(err).toBeLessThan(1e-5);
      }
    });
  }

  it('beta = 0 never reads C (NaN there stays out), and one handle serves beta 0 and beta 0.5 (one pipeline each)', async () => {
    const device = await gpu();
    const h = await kernelHarness();
    const M = 13, N = 20, K = 12;
    for (const v of ['8x8@4x4', '8x8-vb@4x4', 'vec4@8x8'] as const) {
      const mm = createMatmul(device, { bias: true, variant: v });
      const A = randn(M * K), B = randn(K * N), bias = randn(N), C0 = randn(M * N);
      const [a, b, bb] = [h.up(A), h.up(B), h.up(bias)];
      // beta 0 over a C of NaN: the product and the bias alone
      const cNaN = h.up(new Float32Array(M * N).fill(NaN));
      const b0 = mm.bind({ a, b, c: cNaN, bias: bb }, { M, N, K, beta: 0 });
      h.run(mm, b0);
      const got0 = await h.read(cNaN, M * N, 0);
      expect(got0.every(Number.isFinite), v).toBe(true);
      expect(relErr(got0, ref.matmul64(A, B, M, N, K, { bias }))).toBeLessThan(1e-5);
      // then beta 0.5 on the same handle
      const c = h.up(C0);
      const b1 = mm.bind({ a, b, c, bias: bb }, { M, N, K, beta: 0.5 });
      h.run(mm, b1);
      expect(relErr(await h.read(c, M * N, 0), ref.matmul64(A, B, M, N, K, { bias, C: C0, beta: 0.5 }))).toBeLessThan(1e-5);
      expect([b0.variant, b1.variant]).toEqual([v, v]);
    }
  });

  it('the vec4 variants fit exactly the aligned shapes', async () => {
    const device = await gpu();
    expect(matmulVariantFits(device, 'vec4@8x8', {}, { M: 5, N: 8, K: 4 })).toBe(true);
    expect(matmulVariantFits(device, 'vec4@8x8', {}, { M: 5, N: 6, K: 4 })).toBe(false); // B's rows not vec4
    expect(matmulVariantFits(device, 'vec4@8x8', { transB: true }, { M: 5, N: 6, K: 4 })).toBe(true);
    expect(matmulVariantFits(device, 'vec4@8x8', { transA: true }, { M: 5, N: 8, K: 4 })).toBe(false);
    expect(matmulVariantFits(device, 'vec4@8x8', {}, { M: 4, N: 8, K: 4, bOffset: 2 })).toBe(false);
    expect(matmulVariantFits(device, 'scalar@8x8', {}, { M: 5, N: 6, K: 3, aOffset: 1 })).toBe(true);
    expect(matmulVariantFits(device, '8x8@4x4', { transA: true, transB: true }, { M: 5, N: 6, K: 3, aOffset: 1 })).toBe(true);
    // B as vec4 along n: any K, no Bᵀ
    expect(matmulVariantFits(device, '8x8-vb@4x4', {}, { M: 5, N: 8, K: 3, aOffset: 1 })).toBe(true);
    expect(matmulVariantFits(device, '8x8-vb@4x4', { transB: true }, { M: 5, N: 8, K: 4 })).toBe(false);
    expect(matmulVariantFits(device, '8x8-vb@4x4', {}, { M: 5, N: 8, K: 4, bOffset: 6 })).toBe(false);
    // and Aᵀ as vec4 along m
    expect(matmulVariantFits(device, '8x8-vab@4x4', { transA: true }, { M: 8, N: 8, K: 3 })).toBe(true);
    expect(matmulVariantFits(device, '8x8-vab@4x4', {}, { M: 8, N: 8, K: 4 })).toBe(false);
    expect(matmulVariantFits(device, '8x8-vab@4x4', { transA: true }, { M: 6, N: 8, K: 4 })).toBe(false);
    // k unrolled by 4: K a multiple of 4 (and B as vec4 in the -vb one)
    expect(matmulVariantFits(device, '8x8-k4@4x4', { transA: true, transB: true }, { M: 5, N: 7, K: 12, aOffset: 1 })).toBe(true);
    expect(matmulVariantFits(device, '8x8-k4@4x4', {}, { M: 8, N: 8, K: 6 })).toBe(false);
    expect(matmulVariantFits(device, '8x8-vb-k4@4x4', {}, { M: 5, N: 8, K: 12 })).toBe(true);
    expect(matmulVariantFits(device, '8x8-vb-k4@4x4', {}, { M: 5, N: 8, K: 10 })).toBe(false);
    expect(matmulVariantFits(device, '4x8@8x8', { transB: true }, { M: 5, N: 7, K: 3 })).toBe(true);
  });
});

describe('choosing a variant at bind()', () => {
  it('a pinned variant is used where it fits; unpinning returns to the default', async () => {
    const device = await gpu();
    clearChoices(device);
    pinMatmulVariant(device, 'vec4-8x8@4x4');
    try {
      expect((await runCase(device, { M: 16, N: 16, K: 8 }, undefined)).used).toBe('vec4-8x8@4x4');
      // K = 7 does not fit vec4 tiles: the default for the shape runs instead
      expect((await runCase(device, { M: 16, N: 16, K: 7 }, undefined)).used).toBe(defaultMatmulVariant(device, {}, { M: 16, N: 16, K: 7 }));
      // the kernel's own option wins over the pin
      expect((await runCase(device, { M: 16, N: 16, K: 8 }, 'vec4-4x8@8x8')).used).toBe('vec4-4x8@8x8');
    } finally {
      pinMatmulVariant(device, undefined);
    }
    expect((await runCase(device, { M: 16, N: 16, K: 8 }, undefined)).used).toBe(defaultMatmulVariant(device, {}, { M: 16, N: 16, K: 8 }));
    // here (SwiftShader) the 8×8 register block from SMALL_GEMM_MACS multiply-adds on, the scalar kernel below; on a GPU, vec4 tiles in 16×16 workgroups
    const small = { M: 64, N: 64, K: 15 }, large = { M: 64, N: 64, K: 16 }; // 61,440 and 65,536 multiply-adds
    expect(large.M * large.N * large.K).toBe(SMALL_GEMM_MACS);
    const onCpu = defaultMatmulVariant(device, {}, large) === '8x8@4x4';
    expect(onCpu || defaultMatmulVariant(device, {}, large) === 'vec4@16x16').toBe(true);
    expect(defaultMatmulVariant(device, {}, small)).toBe(MATMUL_FALLBACK); // on a GPU too: K = 15 does not fit vec4 tiles
    expect(defaultMatmulVariant(device, {}, { M: 16, N: 16, K: 8 })).toBe(onCpu ? MATMUL_FALLBACK : 'vec4@16x16');
    expect(() => pinMatmulVariant(device, 'fast' as MatmulVariant)).toThrow(BpttError);
    expect(() => createMatmul(device, { variant: 'vec4@3x3' as MatmulVariant })).toThrow(/matmul\.variant = "vec4@3x3"/);
  });

  it('tuneMatmul screens the variants that fit, re-times the fastest three, keeps the winner per bucket, and bind() uses it', async () => {
    const device = await gpu();
    clearChoices(device);
    const shapes = [{ M: 24, N: 16, K: 8, transA: true }, { M: 25, N: 16, K: 8, transA: true }, { M: 20, N: 10, K: 6 }];
    const before = liveMemory(device);
    const res = await tuneMatmul(device, shapes, { reps: 1 });
    expect(liveMemory(device)).toEqual(before); // every buffer it made is destroyed
    // 24 and 25 share a bucket: timed once; N = 10 and K = 6 leave only the scalar-load variants
    expect(res.map((r) => r.shape.M)).toEqual([24, 20]);
    expect(Object.keys(res[0].ms).sort()).toEqual([...MATMUL_VARIANTS].sort());
    expect(Object.keys(res[1].ms).sort()).toEqual([MATMUL_FALLBACK, '8x8@4x4', '8x8@8x8', '4x8@8x8'].sort());
    for (const r of res) {
      // the final re-times the screen's three fastest; its fastest median wins
      const screened = (Object.entries(r.ms) as [string, number][]).sort((x, y) => x[1] - y[1]);
      expect(Object.keys(r.final).sort()).toEqual(screened.slice(0, 3).map(([v]) => v).sort());
      expect(r.final[r.best]).toBe(Math.min(...(Object.values(r.final) as number[])));
      expect(tunedChoices(device)[shapeBucket(r.shape)]).toBe(r.best);
    }
    // without a final (finalists: 1) the screen's fastest wins
    const [screen] = await tuneMatmul(device, [{ ...shapes[2], bias: true, beta: 1 }], { reps: 1, finalists: 1 }); // bound as the engine binds it
    expect(screen.final).toEqual({});
    expect(screen.ms[screen.best]).toBe(Math.min(...(Object.values(screen.ms) as number[])));
    // one variant that fits: no final; bad round counts are refused before any GPU work
    const [one] = await tuneMatmul(device, [{ M: 20, N: 10, K: 6 }], { reps: 1, candidates: [MATMUL_FALLBACK] });
    expect([one.best, one.final]).toEqual([MATMUL_FALLBACK, {}]);
    for (const [field, o] of [['reps', { reps: 0 }], ['finalists', { finalists: 1.5 }], ['finalRounds', { finalRounds: Number.NaN }]] as const) {
      await expect(tuneMatmul(device, shapes, o)).rejects.toThrow(new RegExp(`^${field} = `));
    }
    // a matmul bound now at a shape of the tuned bucket runs the winner, and is still right
    const { err, used } = await runCase(device, { M: 25, N: 16, K: 8, transA: false, beta: 0.5 }, undefined);
    expect(err).toBeLessThan(1e-5);
    const tunedNN = tunedChoices(device)[shapeBucket({ M: 25, N: 16, K: 8 })];
    expect(used).toBe(tunedNN ?? defaultMatmulVariant(device, {}, { M: 25, N: 16, K: 8 })); // NN was not tuned: the default
    const t = await runCase(device, { M: 24, N: 16, K: 8, transA: true }, undefined);
    expect(t.used).toBe(res[0].best);
    expect(t.err).toBeLessThan(1e-5);
    clearChoices(device);
  });

  it('a browser keeps the tuned choices in localStorage, keyed by the adapter, and a new device on it starts from them', async () => {
    const device = await gpu();
    const items = new Map<string, string>();
    // Node has no localStorage: a plain stand-in with the Storage methods the library uses
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    (globalThis as { localStorage?: unknown }).localStorage = storage;
    const other = await createNodeDevice({ quiet: true });
    try {
      clearChoices(device);
      const shape = { M: 40, N: 24, K: 16, transA: true };
      const [r] = await tuneMatmul(device, [shape], { reps: 1, candidates: ['scalar@8x8', '8x8@4x4'] });
      const saved = JSON.parse(items.get(persistKey(device))!);
      expect(saved[shapeBucket(shape)]).toBe(r.best);
      expect(persistKey(device)).toContain('webgpu-bptt:matmul:');
      // another device on the same adapter: nothing tuned in its memory, the stored choice applies
      expect(persistKey(other)).toBe(persistKey(device));
      expect(chosenVariant(other, shape)).toBe(r.best);
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
      other.destroy();
      clearChoices(device);
    }
  });

  it('stepGemmShapes lists the engine’s GEMMs for the chapter’s model and for stacked dense ones', () => {
    const s = stepGemmShapes(charLmConfig(28, 256), 32, 35);
    expect(s.map((g) => [g.name, g.M, g.N, g.K, !!g.transA, !!g.transB])).toEqual([
      ['dW_hh (layer 0)', 256, 256, 1120, true, false],
      ['O = H W_qhᵀ', 1120, 28, 256, false, true],
      ['dW_qh = dOᵀ H', 28, 256, 1120, true, false],
      ['dH = dO W_qh', 1120, 256, 28, false, false],
    ]);
    const two = stepGemmShapes({ ...charLmConfig(10, 8, 'tanh', true, 'lstm', 2) }, 2, 3);
    expect(two.filter((g) => g.name.includes('layer 1')).map((g) => [g.name, g.M, g.N, g.K])).toEqual([
      ['Zx = X W_ihᵀ (layer 1)', 6, 32, 8],
      ['dW_ih (layer 1)', 32, 8, 6],
      ['dW_hh (layer 1)', 32, 8, 6],
      ['dX = dG W_ih (layer 1)', 6, 8, 32],
    ]);
  });

  it('tuneRecurrenceRows times rows 1, 2 and 4 and returns the fastest, which an engine takes as its rows', async () => {
    const device = await gpu();
    const config = charLmConfig(6, 8);
    const before = liveMemory(device);
    const r = await tuneRecurrenceRows(device, config, 4, 3, 1);
    expect(liveMemory(device)).toEqual(before); // every candidate engine is destroyed
    expect(Object.keys(r.ms).map(Number).sort()).toEqual([1, 2, 4]);
    await expect(tuneRecurrenceRows(device, config, 4, 3, 0)).rejects.toThrow(/^reps = 0: must be a positive integer/);
    expect(r.ms[r.best]).toBe(Math.min(...Object.values(r.ms)));
    for (const t of Object.values(r.ms)) expect(t).toBeGreaterThan(0);
    // B = 2: rows 4 does not fit the batch and is not timed
    expect(Object.keys((await tuneRecurrenceRows(device, config, 2, 3, 1)).ms).map(Number).sort()).toEqual([1, 2]);
  });
});
