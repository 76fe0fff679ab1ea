// The errors of Kernel.bind (every kernel's bind goes through
// Kernel.bindChecked): a missing buffer, a buffer without STORAGE usage, a
// buffer too small for the dims, a dispatch past the device's limit, and dims
// that are not u32. Each is refused with its exact message before anything is
// allocated; a good bind owns one uniform buffer until its destroy().
import { describe, it, expect, afterAll } from 'vitest';
import { gpu } from './gpu';
import { BpttError } from '../src/errors';
import { STATS } from '../src/gpu/stats';
import { BufferArena, STORAGE, COPY_DST, MAP_READ, liveMemory } from '../src/gpu/buffers';
import { createTranspose } from '../src/kernels/transpose';
import { createColsum } from '../src/kernels/colsum';
import { createCarryState } from '../src/kernels/carry';
import { createPowerIteration, createSegmentNorms } from '../src/kernels/diagnostics';
import { createMatmul } from '../src/kernels/matmul';
import { grid2d } from '../src/kernels/kernel';

let arena: BufferArena | null = null;
afterAll(() => arena?.destroy());

async function setup() {
  const device = await gpu();
  arena ??= new BufferArena(device, 'kernel-bind.test');
  const storage = (bytes: number, label = 'buf') => arena!.create(label, bytes, STORAGE | COPY_DST);
  return { device, storage };
}

/**
 * The exact message of what `f` throws, and that nothing was left allocated.
 * `f` gets the test's buffers made beforehand (sizes in bytes), so they are
 * not counted.
 */
function refused(device: GPUDevice, f: (b: GPUBuffer[]) => unknown, sizes: number[] = []): { error: Error; message: string } {
  // exact sizes (an arena would pad them to 16 bytes)
  const b = sizes.map((size) => device.createBuffer({ label: 'buf', size, usage: STORAGE | COPY_DST }));
  const before = liveMemory(device);
  let caught: unknown;
  try {
    f(b);
  } catch (e) {
    caught = e;
  } finally {
    b.forEach((x) => x.destroy());
  }
  expect(caught).toBeInstanceOf(Error);
  expect(liveMemory(device)).toEqual(before);
  return { error: caught as Error, message: (caught as Error).message };
}

describe('Kernel.bind: exact errors, nothing allocated', () => {
  it('a missing buffer', async () => {
    const { device } = await setup();
    const k = createTranspose(device);
    const r = refused(device, ([x]) => k.bind({ x } as never, { rows: 2, cols: 3 }), [64]);
    expect(r.error).toBeInstanceOf(BpttError);
    expect(r.message).toBe('transpose.out = missing: a GPUBuffer is required');
    const c = createCarryState(device);
    expect(refused(device, ([last, hs]) => c.bind({ last, hs } as never, { n: 4 }), [16, 16]).message).toBe('carry_state.stats = missing: a GPUBuffer is required');
  });

  it('matmul with bias: true but no bias buffer', async () => {
    const { device } = await setup();
    const k = createMatmul(device, { bias: true });
    const r = refused(device, ([a, b, c]) => k.bind({ a, b, c }, { M: 2, N: 2, K: 2 }), [64, 64, 64]);
    expect(r.error).toBeInstanceOf(BpttError);
    // the kernel's name is its shader's (matmul, or a variant of it)
    expect(r.message).toMatch(/^matmul[\w.]*\.bias = missing: a GPUBuffer is required$/);
  });

  it('a buffer without STORAGE usage (named by its label)', async () => {
    const { device } = await setup();
    const staging = device.createBuffer({ label: 'staging', size: 64, usage: MAP_READ | COPY_DST });
    const unlabelled = device.createBuffer({ size: 64, usage: COPY_DST });
    try {
      const k = createTranspose(device);
      const r = refused(device, ([out]) => k.bind({ x: staging, out }, { rows: 2, cols: 3 }), [64]);
      expect(r.error).toBeInstanceOf(BpttError);
      expect(r.message).toBe('transpose.x = staging: needs GPUBufferUsage.STORAGE');
      expect(refused(device, ([x]) => k.bind({ x, out: unlabelled }, { rows: 2, cols: 3 }), [64]).message).toBe('transpose.out = buffer: needs GPUBufferUsage.STORAGE');
    } finally {
      staging.destroy();
      unlabelled.destroy();
    }
  });

  it('a buffer too small for the dims (offsets counted)', async () => {
    const { device } = await setup();
    const t = createTranspose(device);
    // x needs (xOffset + rows·cols)·4 = (4 + 12)·4 = 64 bytes; out 12·4 = 48
    expect(refused(device, ([x, out]) => t.bind({ x, out }, { rows: 3, cols: 4, xOffset: 4 }), [60, 48]).message).toBe('transpose.x = 60 bytes: must hold at least 64 bytes for these dims');
    expect(refused(device, ([x, out]) => t.bind({ x, out }, { rows: 3, cols: 4, xOffset: 4 }), [64, 44]).message).toBe('transpose.out = 44 bytes: must hold at least 48 bytes for these dims');
    const cs = createColsum(device);
    // out needs (outOffset + N)·4 = (3 + 5)·4 = 32 bytes
    const r = refused(device, ([x, out]) => cs.bind({ x, out }, { R: 4, N: 5, outOffset: 3 }), [80, 28]);
    expect(r.error).toBeInstanceOf(BpttError);
    expect(r.message).toBe('colsum.out = 28 bytes: must hold at least 32 bytes for these dims');
    const c = createCarryState(device);
    expect(refused(device, ([last, stats, hs]) => c.bind({ last, stats, hs }, { n: 4 }), [16, 16, 16]).message).toBe(`carry_state.stats = 16 bytes: must hold at least ${STATS.byteSize} bytes for these dims`);
    const sn = createSegmentNorms(device);
    expect(refused(device, ([x, out]) => sn.bind({ x, out }, { segments: 3, len: 4, outOffset: 1 }), [48, 12]).message).toBe('segment_norms.out = 12 bytes: must hold at least 16 bytes for these dims');
    const pi = createPowerIteration(device, 4);
    expect(refused(device, ([params, growth]) => pi.bind({ params, growth }, { wOffset: 1, iters: 8 }), [64, 32]).message).toBe('power_iteration.params = 64 bytes: must hold at least 68 bytes for these dims');
  });

  it('a dispatch past maxComputeWorkgroupsPerDimension', async () => {
    const { device } = await setup();
    const max = device.limits.maxComputeWorkgroupsPerDimension;
    const cols = 8 * (max + 1); // ceil(cols / 8) = max + 1 workgroups in x
    const t = createTranspose(device);
    const r = refused(device, ([x, out]) => t.bind({ x, out }, { rows: 1, cols }), [cols * 4, cols * 4]);
    expect(r.error).toBeInstanceOf(BpttError);
    expect(r.message).toBe(`transpose.workgroups = ${max + 1}: exceeds maxComputeWorkgroupsPerDimension = ${max}`);
  });

  it('power iteration: H past what fits in workgroup storage', async () => {
    const { device } = await setup();
    const limit = Math.floor((device.limits.maxComputeWorkgroupStorageSize - 64 * 4) / 8);
    for (const H of [0, limit + 1, 2.5]) {
      const r = refused(device, () => createPowerIteration(device, H));
      expect(r.error).toBeInstanceOf(BpttError);
      expect(r.message).toBe(`hidden = ${H}: must be an integer in [1, ${limit}] for power iteration`);
    }
  });

  it('dims that are not u32 (fractional, negative) are refused before any buffer is made', async () => {
    const { device } = await setup();
    const t = createTranspose(device);
    expect(refused(device, ([x, out]) => t.bind({ x, out }, { rows: 2.5, cols: 2 }), [64, 64]).message).toBe('uniform field rows = 2.5: must be an integer in [0, 2^32)');
    expect(refused(device, ([x, out]) => t.bind({ x, out }, { rows: 2, cols: 2, xOffset: -1 }), [64, 64]).message).toBe('uniform field x_offset = -1: must be an integer in [0, 2^32)');
  });

  it('a good bind owns exactly one uniform buffer; destroy() frees it, twice is harmless', async () => {
    const { device, storage } = await setup();
    const x = storage(64), out = storage(64);
    const t = createTranspose(device);
    const before = liveMemory(device);
    const b = t.bind({ x, out }, { rows: 2, cols: 3 });
    expect(liveMemory(device).buffers).toBe(before.buffers + 1);
    b.destroy();
    expect(liveMemory(device)).toEqual(before);
    b.destroy();
    expect(liveMemory(device)).toEqual(before);
  });
});

describe('grid2d: n workgroups as x · y within the per-dimension limit', () => {
  it('covers n, keeps x ≤ 65,535, leaves fewer than y idle, and takes one row while n fits', () => {
    expect(grid2d(0)).toEqual([0, 1]); // nothing to dispatch (encode skips a zero count)
    expect(grid2d(1)).toEqual([1, 1]);
    expect(grid2d(65535)).toEqual([65535, 1]);
    expect(grid2d(65536)).toEqual([32768, 2]);
    expect(grid2d(65537)).toEqual([32769, 2]); // not 65,535 × 2 with 65,533 idle
    expect(grid2d(3 * 65535 + 1)).toEqual([49152, 4]);
    for (let n = 1; n < 1 << 22; n = Math.ceil(n * 1.37) + 1) {
      const [x, y] = grid2d(n);
      expect(x).toBeLessThanOrEqual(65535);
      expect(x * y).toBeGreaterThanOrEqual(n);
      expect(x * y - n).toBeLessThan(y);
    }
  });
});
