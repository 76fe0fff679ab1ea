// Test helper: one real WebGPU device per test process (Dawn + SwiftShader
// here, a GPU where there is one), shared by every test file the process runs
// (scripts/test.sh runs the unit files without isolation, two processes), so
// a pipeline compiled for one file is cached for the next: compiling is most
// of what a small test costs on SwiftShader. Validation errors fail the test
// that caused them (test/setup.ts calls settleDevice after each test).
// A test that must lose or destroy a device makes its own with createNodeDevice.
import { createNodeDevice } from '../src/node/device';

interface Shared {
  device: Promise<GPUDevice> | null;
  errors: string[];
}
// on globalThis: one device per process even where files get fresh modules (vitest's default isolation)
const KEY = Symbol.for('webgpu-bptt:test-device');
const shared: Shared = ((globalThis as Record<symbol, Shared>)[KEY] ??= { device: null, errors: [] });

/** The process's device, created on first use and destroyed when the process exits. */
export function gpu(): Promise<GPUDevice> {
  shared.device ??= createNodeDevice({ quiet: true }).then((device) => {
    device.addEventListener('uncapturederror', (e) => shared.errors.push((e as GPUUncapturedErrorEvent).error.message));
    device.lost.then(() => (shared.device = null));
    process.once('exit', () => device.destroy());
    return device;
  });
  return shared.device;
}

/** After each test: wait for the device's queue, then fail on any validation error the test caused. */
export async function settleDevice(): Promise<void> {
  if (shared.device) await (await shared.device).queue.onSubmittedWorkDone();
  if (shared.errors.length) {
    const msg = shared.errors.splice(0).join('\n');
    throw new Error(`WebGPU validation errors:\n${msg}`);
  }
}

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
