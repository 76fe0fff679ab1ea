// Which Vulkan driver Dawn should use in Node (no imports beyond Node's own,
// so the Vite plugin can use it too).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** 'auto', 'swiftshader' (CPU) or 'system' (an installed GPU driver). */
export type DriverChoice = 'auto' | 'swiftshader' | 'system';

/** Where Debian's chromium package puts SwiftShader's Vulkan ICD file. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];

/** True when the machine shows a GPU device node (DRM render node or NVIDIA). */
function hasGpuDeviceNode(): boolean {
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri').some((f) => f.startsWith('renderD')) : false;
  return dri || existsSync('/dev/nvidia0');
}

/** The NVIDIA ICD where a container mounts it outside the loader's search path. */
function extraIcds(): string[] {
  return ICD_DIRS.slice(3).flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)) : []));
}

function useSwiftShader(): string | null {
  if (!existsSync(SWIFTSHADER_ICD)) return null;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  delete process.env.VK_DRIVER_FILES;
  return 'SwiftShader';
}

/**
 * Set the Vulkan loader's environment for the chosen driver; returns its name,
 * or null when none is found.
 * 'auto': the caller's VK_ICD_FILENAMES / VK_DRIVER_FILES if set; else the
 * system driver when a GPU device node exists; else SwiftShader.
 */
export function chooseDriverOrNull(choice: DriverChoice = 'auto'): string | null {
  if (choice === 'swiftshader') return useSwiftShader();
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || '';
  if (choice === 'system' || hasGpuDeviceNode()) {
    const extra = extraIcds();
    if (extra.length) process.env.VK_DRIVER_FILES = extra.join(':');
    return extra.join(':') || 'system';
  }
  return useSwiftShader();
}

