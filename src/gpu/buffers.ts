// GPU buffers with an owner. Every buffer webgpu-bptt creates goes through an
// arena, which destroys all of them in destroy(); a per-device tally of live
// buffers and bytes lets tests prove that long runs do not grow memory.

/** Live GPU buffers and their bytes (see liveMemory). */
export interface MemoryTally {
  buffers: number;
  bytes: number;
}

const tallies = new WeakMap<GPUDevice, MemoryTally>();

/** Live buffers and bytes that webgpu-bptt holds on `device`. */
export function liveMemory(device: GPUDevice): MemoryTally {
  const t = tallies.get(device);
  return { buffers: t?.buffers ?? 0, bytes: t?.bytes ?? 0 };
}

function tally(device: GPUDevice): MemoryTally {
  let t = tallies.get(device);
  if (!t) tallies.set(device, (t = { buffers: 0, bytes: 0 }));
  return t;
}

/** createBuffer, counted in liveMemory(device) until destroyTracked. */
export function createTracked(device: GPUDevice, desc: GPUBufferDescriptor): GPUBuffer {
  const buffer = device.createBuffer(desc);
  const t = tally(device);
  t.buffers += 1;
  t.bytes += buffer.size;
  return buffer;
}

/** Destroy a buffer made by createTracked. */
export function destroyTracked(device: GPUDevice, buffer: GPUBuffer): void {
  const t = tally(device);
  t.buffers -= 1;
  t.bytes -= buffer.size;
  buffer.destroy();
}

/**
 * The owner of a group of GPU buffers: everything made through it is counted
 * in liveMemory(device) and destroyed by destroy().
 */
export class BufferArena {
  private readonly owned = new Set<GPUBuffer>();
  private bytes = 0;

  constructor(readonly device: GPUDevice, readonly label: string) {}

  /** A buffer of at least `size` bytes (rounded up to 16), owned by this arena. */
  create(label: string, size: number, usage: GPUBufferUsageFlags, mappedAtCreation = false): GPUBuffer {
    const padded = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = createTracked(this.device, { label: `${this.label}/${label}`, size: padded, usage, mappedAtCreation });
    this.owned.add(buffer);
    this.bytes += padded;
    return buffer;
  }

  /** A storage buffer initialised from `data` (f32 or u32). */
  createWith(label: string, data: Float32Array | Uint32Array, usage: GPUBufferUsageFlags): GPUBuffer {
    const buffer = this.create(label, data.byteLength, usage, true);
    const view = data instanceof Float32Array ? new Float32Array(buffer.getMappedRange()) : new Uint32Array(buffer.getMappedRange());
    view.set(data);
    buffer.unmap();
    return buffer;
  }

  /** Destroy one buffer this arena owns. */
  release(buffer: GPUBuffer): void {
    if (!this.owned.delete(buffer)) return;
    this.bytes -= buffer.size;
    destroyTracked(this.device, buffer);
  }

  /** Bytes of the buffers this arena holds now. */
  get bytesInUse(): number {
    return this.bytes;
  }

  /** Destroy every buffer this arena still owns. */
  destroy(): void {
    for (const b of [...this.owned]) this.release(b);
  }
}

export const STORAGE = 0x80; // GPUBufferUsage.STORAGE
export const COPY_SRC = 0x04;
export const COPY_DST = 0x08;
export const MAP_READ = 0x01;

/** queue.writeBuffer for any typed array (TypeScript's ArrayBufferLike generics aside). */
export function upload(device: GPUDevice, buffer: GPUBuffer, data: Float32Array | Uint32Array, byteOffset = 0): void {
  device.queue.writeBuffer(buffer, byteOffset, data as unknown as GPUAllowSharedBufferSource);
}
