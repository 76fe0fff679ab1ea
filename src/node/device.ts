// WebGPU in Node through Dawn (the npm package `webgpu`), with a Vulkan
// driver found automatically: a system GPU driver when one is installed,
// else SwiftShader from Debian's chromium package.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestTrainingDevice, type DeviceOptions } from '../gpu/device';
import { BpttError } from '../errors';
import { chooseDriverOrNull, SWIFTSHADER_ICD, type DriverChoice } from './driver';

export { SWIFTSHADER_ICD, type DriverChoice };

/** Options of createNodeDevice. */
export interface NodeDeviceOptions extends DeviceOptions {
  /** 'auto' (default): a hardware driver when one is installed, else SwiftShader. */
  driver?: DriverChoice;
  /** Print nothing about the choice of driver. */
  quiet?: boolean;
}

/** Set the Vulkan loader's environment for the chosen driver; returns its name. */
export function chooseDriver(choice: DriverChoice = 'auto'): string {
  const name = chooseDriverOrNull(choice);
  if (name === null) {
    throw new BpttError(
      'driver',
      choice,
      `no Vulkan driver found: install a GPU driver, or SwiftShader with 'apt-get install -y chromium libvulkan1' (expects ${SWIFTSHADER_ICD})`,
    );
  }
  return name;
}

/** What to tell a user whose install has no Dawn (an optional peer dependency: browsers don't need it). */
export const DAWN_MISSING =
  "WebGPU in Node needs Dawn, the npm package 'webgpu' (an optional peer dependency of webgpu-bptt, left out so browser apps stay small): run 'npm install webgpu'";

type Dawn = { create(flags: string[]): GPU; globals: Record<string, unknown> };

/** The Dawn switch dawnFlags gives SwiftShader; Chromium takes it as `--${SWIFTSHADER_DAWN_SWITCH}` (e2e/browser.ts). */
export const SWIFTSHADER_DAWN_SWITCH = 'disable-dawn-features=use_vulkan_zero_initialize_workgroup_memory_extension';

/**
 * Dawn's flags for a driver. On SwiftShader, workgroup memory is zeroed by
 * the shader (Tint's loop, Dawn's path where Vulkan lacks the extension)
 * rather than by VK_KHR_zero_initialize_workgroup_memory, which SwiftShader
 * compiles to one store per element: a pipeline's compile time then grows
 * with its workgroup arrays (the LSTM reverse recurrence at H = 512, 4 rows:
 * 4.3 s against 0.15 s). Same zeroes, same results; other drivers keep Dawn's default.
 * `driver`: chooseDriver's name, or the ICD path a caller's VK_ICD_FILENAMES gave.
 */
export function dawnFlags(driver: string): string[] {
  return /swiftshader/i.test(driver) ? [SWIFTSHADER_DAWN_SWITCH] : [];
}

/** Load Dawn, or throw a BpttError that says what to install. */
async function importDawn(): Promise<Dawn> {
  try {
    return (await import('webgpu')) as unknown as Dawn;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new BpttError('webgpu', 'not installed', DAWN_MISSING);
    throw e;
  }
}

let gpuInstance: GPU | null = null;
let driverName = '';

/** Dawn's GPU object for this process (Dawn reads the driver environment when it is created). */
export async function nodeGpu(options: NodeDeviceOptions = {}): Promise<GPU> {
  if (gpuInstance) return gpuInstance;
  const driver = (driverName = chooseDriver(options.driver));
  if (!options.quiet && process.env.WEBGPU_BPTT_VERBOSE) console.error(`webgpu-bptt: Vulkan driver ${driver}`);
  // SwiftShader complains on stderr when it has no runtime dir.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'xdg-'));
  const webgpu = await importDawn();
  Object.assign(globalThis, webgpu.globals);
  gpuInstance = webgpu.create(dawnFlags(driver));
  return gpuInstance;
}

/** A WebGPU device in Node, with raised limits (see requestTrainingDevice). */
export async function createNodeDevice(options: NodeDeviceOptions = {}): Promise<GPUDevice> {
  let gpu = await nodeGpu(options);
  try {
    if ((options.driver ?? 'auto') === 'auto' && driverName !== 'SwiftShader' && !(await gpu.requestAdapter())) {
      // A GPU node but no working driver: fall back to SwiftShader.
      gpuInstance = null;
      gpu = await nodeGpu({ ...options, driver: 'swiftshader' });
    }
    return await requestTrainingDevice(gpu, options);
  } catch (e) {
    if (e instanceof BpttError && e.value === 'no adapter') {
      throw new BpttError(
        'webgpu',
        'no adapter',
        "Dawn found no usable Vulkan driver: install libvulkan1 and a driver (SwiftShader: 'apt-get install -y chromium libvulkan1'), or set VK_ICD_FILENAMES",
      );
    }
    throw e;
  }
}
