// What the page moves to the training worker instead of copying: the
// ArrayBuffer of every typed array in the job's data and options, once each.
import { describe, it, expect } from 'vitest';
import { transferables } from '../src/worker/protocol';

describe('transferables', () => {
  it('finds the buffers of typed arrays in x, y, fit options and model bytes, each once', () => {
    const x = new Float32Array(24), y = new Float32Array(8), lengths = new Uint32Array(4), vx = new Float32Array(6), bytes = new Uint8Array(10);
    const found = transferables(
      { data: x, shape: [4, 3, 2] },
      { data: y, shape: [4, 2] },
      { epochs: 2, lengths, validationData: [{ data: vx, shape: [1, 3, 2] }, { data: vx, shape: [1, 3, 2] }] },
      bytes,
    );
    expect(found).toHaveLength(5);
    for (const a of [x, y, lengths, vx, bytes]) expect(found).toContain(a.buffer);
  });

  it('finds one buffer for views that share it, none in nested number arrays, and never a SharedArrayBuffer', () => {
    const big = new Float32Array(100);
    expect(transferables({ data: big.subarray(0, 50), shape: [5, 10] }, { data: big.subarray(50), shape: [5, 10] })).toEqual([big.buffer]);
    expect(transferables([[[1, 2]], [[3, 4]]], [[1], [2]], { epochs: 3 }, undefined)).toEqual([]);
    expect(transferables({ data: new Float32Array(new SharedArrayBuffer(16)), shape: [1, 2, 2] })).toEqual([]);
  });
});
