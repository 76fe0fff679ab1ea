// The shared test harness: the process's device (test/gpu.ts), buffers
// for a kernel's operands with one owner per file (freed by test/setup.ts), one dispatch and its
// read-back, the error report every kernel test prints, the gradient
// comparison of the reference tests, and the CLI run in-process.
import { expect, vi } from 'vitest';
import { gpu, relErr } from './gpu';
import type { GradcheckResult } from '../src/cli/gradcheck';
import { BufferArena, STORAGE, COPY_DST, COPY_SRC } from '../src/gpu/buffers';
import { readFloats } from '../src/gpu/readback';
import { paramShapes, type Weights, type Tensor } from '../src/model/params';
import type { RnnConfig } from '../src/model/config';
import type { Bound } from '../src/kernels/kernel';
import type { BpttEngine } from '../src/engine/bptt';
import type { CellsResult } from '../src/reference/cells64';

export { gpu, relErr, maxAbs } from './gpu';

let arena: BufferArena | null = null;

/** After each test file: destroy the buffers kernelHarness made for it. */
export function releaseArena(): void {
  arena?.destroy();
  arena = null;
}

/** What a kernel test needs: the file's device, operand buffers, one dispatch, a read-back. */
export interface KernelHarness {
  device: GPUDevice;
  /** A storage buffer holding `data` (4 bytes of zeros for an empty array). */
  up(data: Float32Array | Uint32Array): GPUBuffer;
  /** A zeroed storage buffer of n floats. */
  zeros(n: number): GPUBuffer;
  /** Encode one kernel binding in a pass, submit it, and free the binding. */
  run(k: { encode(p: GPUComputePassEncoder, b: Bound): void }, b: Bound): void;
  /** n floats of `buf` from element `off`. */
  read(buf: GPUBuffer, n: number, off?: number): Promise<Float32Array>;
}

/** Encode one kernel binding in a compute pass on `device`, submit it, and free the binding. */
export function runKernel(device: GPUDevice, k: { encode(p: GPUComputePassEncoder, b: Bound): void }, b: Bound): void {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  k.encode(pass, b);
  pass.end();
  device.queue.submit([enc.finish()]);
  b.destroy();
}

/** The file's device and helpers; buffers live until the file's tests end. */
export async function kernelHarness(): Promise<KernelHarness> {
  const device = await gpu();
  arena ??= new BufferArena(device, 'test harness');
  const a = arena;
  return {
    device,
    up: (data) => a.createWith('t', data.length ? data : new Float32Array(4), STORAGE | COPY_DST | COPY_SRC),
    zeros: (n) => a.create('z', Math.max(4, n * 4), STORAGE | COPY_DST | COPY_SRC),
    run: (k, b) => runKernel(device, k, b),
    read: (buf, n, off = 0) => readFloats(device, buf, off, n),
  };
}

/** Print a case's max relative error beside its tolerance, and check it. */
export function report(name: string, err: number, tol: number, width = 48): void {
  console.log(`${name.padEnd(width)} max rel error ${err.toExponential(2)} (tolerance ${tol})`);
  expect(err).toBeLessThan(tol);
}

/** max over the config's tensors of max|a − b| / max|b|. */
export function gradDiff(c: RnnConfig, a: Weights<Float64Array>, b: Weights<Float64Array>): number {
  let worst = 0;
  for (const [name] of paramShapes(c)) {
    let num = 0, den = 0;
    for (let i = 0; i < b[name].length; i++) {
      num = Math.max(num, Math.abs(a[name][i] - b[name][i]));
      den = Math.max(den, Math.abs(b[name][i]));
    }
    worst = Math.max(worst, den > 0 ? num / den : num);
  }
  return worst;
}

/**
 * `webgpu-bptt ...args` run in this process (src/cli/main.ts, the code the
 * built CLI runs) on the process's test device, so its pipelines compile once:
 * its exit code and what it wrote to stdout and stderr. (The tests that spawn
 * the built CLI check the device it makes of its own.)
 */
export async function runCli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { main } = await import('../src/cli/main');
  let stdout = '', stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += a.join(' ') + '\n'));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += a.join(' ') + '\n'));
  try {
    const status = await main(args, { device: await gpu() });
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    log.mockRestore();
    err.mockRestore();
  }
}

/** The worst relative error between two gradcheck results: loss, every gradient, h_last and c_last. */
export function gradcheckErr(a: GradcheckResult, b: GradcheckResult): number {
  let e = Math.abs(a.loss - b.loss) / Math.abs(b.loss);
  for (const k of Object.keys(b.grads)) e = Math.max(e, relErr((a.grads[k] as number[] | number[][]).flat(), (b.grads[k] as number[] | number[][]).flat()));
  e = Math.max(e, relErr(a.h_last.flat(2) as number[], b.h_last.flat(2) as number[]));
  if (b.c_last) e = Math.max(e, relErr(a.c_last!.flat(2), b.c_last.flat(2)));
  return e;
}

/** Write the weights, the batch, ξ and a zero initial state into `eng`, and run one step. */
export function runEngineStep(eng: BpttEngine, w: Weights<Tensor>, batch: Parameters<BpttEngine['writeBatch']>[0], xi: Float32Array): void {
  eng.writeWeights(w);
  eng.writeBatch(batch);
  eng.writeXi(xi);
  eng.writeH0();
  eng.run();
}

/**
 * One whole step of `eng` (weights `w`, the batch, ξ, zero initial state)
 * against the float64 reference's `ref` for the same: the worst relative
 * error of the loss, every gradient and each layer's last hidden state.
 */
export async function engineStepErr(
  eng: BpttEngine,
  w: Weights<Tensor>,
  batch: Parameters<BpttEngine['writeBatch']>[0],
  xi: Float32Array,
  ref: Pick<CellsResult, 'loss' | 'grads' | 'hLast'>,
): Promise<number> {
  runEngineStep(eng, w, batch, xi);
  const g = await eng.readGradients();
  let e = Math.abs((await eng.readLoss()) - ref.loss) / ref.loss;
  for (const k of Object.keys(ref.grads)) e = Math.max(e, relErr(g[k], ref.grads[k]));
  const h = await eng.readLastState();
  const n = h.length / ref.hLast.length; // B·H per layer
  for (const [l, want] of ref.hLast.entries()) e = Math.max(e, relErr(h.subarray(l * n, (l + 1) * n), want));
  return e;
}
