// Per-device caches: pipelines and layouts live as long as their device and
// no longer (a WeakMap keyed by the device, no global singletons).

const caches = new WeakMap<GPUDevice, Map<string, unknown>>();

/** The value cached for (device, key), made once by `make`. */
export function cached<T>(device: GPUDevice, key: string, make: () => T): T {
  let m = caches.get(device);
  if (!m) caches.set(device, (m = new Map()));
  if (!m.has(key)) m.set(key, make());
  return m.get(key) as T;
}
