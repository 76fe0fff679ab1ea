// Reading GPU buffers back (tests, gradcheck, checkpoints; never inside a
// training step's critical path).
import { createTracked, destroyTracked } from './buffers';

/** Copy `size` bytes of `src` from `offset` into a fresh ArrayBuffer. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, offset = 0, size = src.size - offset): Promise<ArrayBuffer> {
  const staging = createTracked(device, { label: 'readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const enc = device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(src, offset, staging, 0, size);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0);
  } finally {
    destroyTracked(device, staging);
  }
}

/** `count` floats of `src` from float index `offsetFloats` (all to the end by default). */
export async function readFloats(device: GPUDevice, src: GPUBuffer, offsetFloats = 0, count?: number): Promise<Float32Array> {
  const size = count === undefined ? src.size - offsetFloats * 4 : count * 4;
  return new Float32Array(await readBuffer(device, src, offsetFloats * 4, size));
}
