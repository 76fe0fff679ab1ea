// Optional storage bindings. A kernel binds every storage buffer of its
// layout, but some inputs have an obvious default (every step real, every
// row weighted 1): when the caller gives none, the binding gets a small
// buffer of that default, owned by the returned Bound and destroyed with it.
import { createTracked, destroyTracked } from '../gpu/buffers';
import type { Bound } from './kernel';

/** `n` copies of `value` (u32 or f32) in a tracked storage buffer. */
function filled(device: GPUDevice, label: string, n: number, value: number, kind: 'u32' | 'f32'): GPUBuffer {
  const buffer = createTracked(device, { label, size: Math.max(16, Math.ceil((n * 4) / 16) * 16), usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
  (kind === 'u32' ? new Uint32Array(buffer.getMappedRange()) : new Float32Array(buffer.getMappedRange())).fill(value);
  buffer.unmap();
  return buffer;
}

/**
 * Bind with `given`, or with a buffer of `n` × `value` that the Bound owns.
 * `bind` receives the buffer to use.
 */
export function bindWithDefault<T extends Bound>(device: GPUDevice, given: GPUBuffer | undefined, label: string, n: number, value: number, kind: 'u32' | 'f32', bind: (buffer: GPUBuffer) => T): T {
  if (given) return bind(given);
  const own = filled(device, label, n, value, kind);
  let bound: T;
  try {
    bound = bind(own);
  } catch (e) {
    destroyTracked(device, own);
    throw e;
  }
  let live = true;
  return {
    ...bound,
    destroy() {
      bound.destroy();
      if (live) destroyTracked(device, own);
      live = false;
    },
  };
}

/** A sequence length that never ends a sequence (every step real). */
export const NO_LENGTH = 0xffffffff;
