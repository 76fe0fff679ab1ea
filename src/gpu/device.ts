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

/** A one-line description of the device's adapter, for logs and benchmarks. */
export function describeAdapter(device: GPUDevice): string {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : 'unknown adapter';
}
