// WebGPU in Node through Dawn (the npm package `webgpu`), with a Vulkan
// driver found automatically: a system GPU driver when one is installed,
// else SwiftShader from Debian's chromium package.
import { existsSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestTrainingDevice, type DeviceOptions } from '../gpu/device.ts';
import { BpttError } from '../errors.ts';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];

export type DriverChoice = 'auto' | 'swiftshader' | 'system';

export interface NodeDeviceOptions extends DeviceOptions {
  /** 'auto' (default): a hardware driver when one is installed, else SwiftShader. */
  driver?: DriverChoice;
  /** Print nothing about the choice of driver. */
  quiet?: boolean;
}

/** True when the machine shows a GPU device node (DRM render node or NVIDIA). */
function hasGpuDeviceNode(): boolean {
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri').some((f) => f.startsWith('renderD')) : false;
  return dri || existsSync('/dev/nvidia0');
}

/** The NVIDIA ICD where a container mounts it outside the loader's search path. */
function extraIcds(): string[] {
  return ICD_DIRS.slice(3).flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : []));
}

function useSwiftShader(choice: string): string {
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new BpttError(
      'driver',
      choice,
      `no Vulkan driver found: install a GPU driver, or SwiftShader with 'apt-get install -y chromium libvulkan1' (expects ${SWIFTSHADER_ICD})`,
    );
  }
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  delete process.env.VK_DRIVER_FILES;
  return 'SwiftShader';
}

/**
 * Set the Vulkan loader's environment for the chosen driver; returns its name.
 * 'auto': the caller's VK_ICD_FILENAMES / VK_DRIVER_FILES if set; else the
 * system driver when a GPU device node exists; else SwiftShader.
 */
export function chooseDriver(choice: DriverChoice = 'auto'): string {
  if (choice === 'swiftshader') return useSwiftShader(choice);
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || '';
  if (choice === 'system' || hasGpuDeviceNode()) {
    const extra = extraIcds();
    if (extra.length) process.env.VK_DRIVER_FILES = extra.join(':');
    return extra.join(':') || 'system';
  }
  return useSwiftShader(choice);
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
  const webgpu = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, webgpu.globals);
  gpuInstance = webgpu.create([]);
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
