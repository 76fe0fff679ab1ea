// Asking an adapter for a device with the limits a trainer needs.
import { BpttError } from '../errors';

/** Limits requested at the adapter's maximum (the defaults are small). */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Options of requestTrainingDevice. */
export interface DeviceOptions {
  /** Request the 'timestamp-query' feature when the adapter has it (default true). */
  timestamps?: boolean;
  /** The device's label (in validation messages). */
  label?: string;
}

/**
 * Request a device from `gpu` (navigator.gpu in a browser, Dawn's GPU in Node)
 * with raised limits and, where available, timestamp queries.
 * Throws a BpttError naming what is missing when there is no adapter.
 */
export async function requestTrainingDevice(gpu: GPU | undefined, options: DeviceOptions = {}): Promise<GPUDevice> {
  if (!gpu) {
    throw new BpttError('webgpu', 'unavailable', 'navigator.gpu is undefined: use a browser with WebGPU (Chrome 113+) on a secure origin (https or localhost)');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new BpttError('webgpu', 'no adapter', 'requestAdapter() returned null: no GPU or software driver is available');
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if ((options.timestamps ?? true) && adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  return adapter.requestDevice({ label: options.label ?? 'webgpu-bptt', requiredLimits, requiredFeatures });
}

/** The adapter's identity as WebGPU reports it (GPUAdapterInfo's fields). */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter where the browser or Dawn reports it. */
  isFallbackAdapter?: boolean;
}

/** The device's adapter info (GPUDevice.adapterInfo), or null where the implementation lacks it. */
export function adapterIdentity(device: GPUDevice): AdapterIdentity | null {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).adapterInfo;
  if (!info) return null;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    ...(typeof info.isFallbackAdapter === 'boolean' ? { isFallbackAdapter: info.isFallbackAdapter } : {}),
  };
}

/** CPU rasterizers and software drivers, by what adapter info calls them. */
const SOFTWARE: [RegExp, string][] = [
  [/swiftshader/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/softpipe/i, 'softpipe'],
  [/microsoft basic render|\bwarp\b/i, 'WARP'],
  [/software|\bcpu\b/i, 'a software renderer'],
];

/**
 * Why this adapter runs on the CPU (a software adapter: SwiftShader, Mesa's
 * llvmpipe/lavapipe, WARP, a fallback adapter), e.g. `SwiftShader (its
 * architecture is "swiftshader"; isFallbackAdapter)`, or null for a hardware one.
 */
export function softwareAdapterReason(info: AdapterIdentity | null): string | null {
  if (!info) return null;
  for (const [re, name] of SOFTWARE) {
    for (const k of ['architecture', 'device', 'description', 'vendor'] as const) {
      if (re.test(info[k])) return `${name} (its ${k} is "${info[k]}"${info.isFallbackAdapter ? '; isFallbackAdapter' : ''})`;
    }
  }
  return info.isFallbackAdapter ? 'a fallback adapter (isFallbackAdapter)' : null;
}

/** Whether `device` runs on a software adapter (softwareAdapterReason): the kernels' defaults differ there. */
export function softwareDevice(device: GPUDevice): boolean {
  return softwareAdapterReason(adapterIdentity(device)) !== null;
}

/** "vendor / architecture / device / description", the empty fields left out. */
export function adapterName(info: AdapterIdentity | null): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}

/** A one-line description of the device's adapter, for logs and benchmarks (also the key of cached tuning choices). */
export function describeAdapter(device: GPUDevice): string {
  return adapterName(adapterIdentity(device));
}
