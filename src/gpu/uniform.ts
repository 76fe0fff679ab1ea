// Uniform parameter structs, declared once beside each kernel.
//
// Every kernel's `struct Params` is a list of 4-byte scalars (u32 or f32), so
// its memory layout is the declaration order; this packs a JS object into it.

export type Scalar = 'u32' | 'f32';

export interface UniformStruct<K extends string> {
  readonly fields: readonly (readonly [K, Scalar])[];
  /** Size in bytes, rounded up to 16 as uniform buffers require. */
  readonly byteSize: number;
  pack(values: Record<K, number>): ArrayBuffer;
}

export function uniformStruct<K extends string>(fields: Record<K, Scalar>): UniformStruct<K> {
  const list = Object.entries(fields) as [K, Scalar][];
  const byteSize = Math.max(16, Math.ceil((list.length * 4) / 16) * 16);
  return {
    fields: list,
    byteSize,
    pack(values) {
      const buf = new ArrayBuffer(byteSize);
      const u = new Uint32Array(buf);
      const f = new Float32Array(buf);
      list.forEach(([name, kind], i) => {
        const v = values[name];
        if (kind === 'u32') {
          if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
            throw new RangeError(`uniform field ${name} = ${v}: must be an integer in [0, 2^32)`);
          }
          u[i] = v;
        } else {
          f[i] = v;
        }
      });
      return buf;
    },
  };
}
