// Test helper: one real WebGPU device per test file (Dawn + SwiftShader here,
// a GPU where there is one). Validation errors fail the test that caused them.
import { afterAll, afterEach } from 'vitest';
import { createNodeDevice } from '../src/node/device';

let device: GPUDevice | null = null;
const errors: string[] = [];

export async function gpu(): Promise<GPUDevice> {
  if (device) return device;
  device = await createNodeDevice({ quiet: true });
  device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  return device;
}

afterEach(async () => {
  if (device) await device.queue.onSubmittedWorkDone();
  if (errors.length) {
    const msg = errors.splice(0).join('\n');
    throw new Error(`WebGPU validation errors:\n${msg}`);
  }
});

afterAll(() => {
  device?.destroy();
  device = null;
});

/** max |a − b| / max |b| (relative to the reference's scale). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/** max |a − b|. */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
