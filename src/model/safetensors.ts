// The safetensors format (a little-endian u64 header length, a JSON header of
// {name: {dtype, shape, data_offsets}} plus "__metadata__", then the raw
// bytes), written and read with every field checked.
import { BpttError, show } from '../errors';

/** One tensor of a safetensors file: its shape and its f32 values, row-major. */
export interface NamedTensor {
  /** The dimensions, outermost first. */
  shape: number[];
  /** The values, row-major (length = the product of shape). */
  data: Float32Array;
}

/**
 * Write tensors (F32) and string metadata as safetensors bytes. Tensors are
 * laid out in name order; the header is padded to 8 bytes. A shape that does
 * not match its data, or a metadata value that is not a string, is a
 * BpttError. Browser-safe: bytes out, no file system.
 */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new BpttError(`safetensors metadata.${k}`, show(v), 'must be a string (safetensors metadata maps strings to strings)');
  }
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    if (name === '__metadata__') throw new BpttError('safetensors tensor name', '"__metadata__"', 'is reserved for the metadata');
    if (!(t?.data instanceof Float32Array)) throw new BpttError(`safetensors: ${name}.data`, show(t?.data), 'must be a Float32Array');
    if (!Array.isArray(t.shape) || !t.shape.every((n) => Number.isInteger(n) && n >= 0)) throw new BpttError(`safetensors: ${name}.shape`, JSON.stringify(t.shape), 'must be an array of non-negative integers');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new BpttError(`safetensors: ${name}.shape`, JSON.stringify(t.shape), `holds ${count} values but the data has ${t.data.length}`);
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // the header's UTF-8 bytes padded with spaces so the data starts on 8 bytes
  // (padding by the string's UTF-16 length misaligned headers holding non-ASCII text)
  const text = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(Math.ceil(text.length / 8) * 8).fill(0x20);
  head.set(text);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

/** A decoded safetensors file. */
export interface Decoded {
  /** The tensors by name (copies, independent of the input bytes). */
  tensors: Record<string, NamedTensor>;
  /** The `__metadata__` strings. */
  metadata: Record<string, string>;
}

/**
 * Read safetensors bytes, checking every field: a malformed file is a
 * BpttError naming the field (prefixed by `field`). Only F32 tensors are
 * accepted. Browser-safe: bytes in.
 */
export function decodeSafetensors(bytes: Uint8Array, field = 'checkpoint'): Decoded {
  if (bytes.length < 8) throw new BpttError(field, `${bytes.length} bytes`, 'is truncated: a safetensors file starts with an 8-byte header length');
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8 || n > 100_000_000) throw new BpttError(`${field} header length`, String(n), `exceeds the file (${bytes.length} bytes): truncated or not a safetensors file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new BpttError(`${field} header`, `${n} bytes`, 'is not valid JSON: corrupted or not a safetensors file');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new BpttError(`${field} header`, typeof header, 'must be a JSON object');
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const meta = '__metadata__' in header ? header.__metadata__ : {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new BpttError(`${field} __metadata__`, show(meta), 'must be a JSON object of strings');
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new BpttError(`${field} __metadata__.${k}`, typeof v === 'object' && v !== null ? JSON.stringify(v).slice(0, 40) : show(v), 'must be a string (safetensors metadata maps strings to strings)');
  }
  const metadata = meta as Record<string, string>;
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new BpttError(`${field}: ${name}`, show(info), 'must be an object with dtype, shape and data_offsets');
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t.dtype !== 'F32') throw new BpttError(`${field}: ${name}.dtype`, String(t.dtype), 'must be "F32"');
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new BpttError(`${field}: ${name}.shape`, JSON.stringify(t.shape), 'must be an array of non-negative integers');
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw new BpttError(`${field}: ${name}.data_offsets`, JSON.stringify(offs), 'must be [begin, end] with 0 ≤ begin ≤ end');
    }
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (offs[1] - offs[0] !== count * 4) throw new BpttError(`${field}: ${name}.data_offsets`, JSON.stringify(offs), `must span ${count * 4} bytes for shape ${JSON.stringify(t.shape)}`);
    if (offs[1] > dataLen) throw new BpttError(`${field}: ${name}`, `ends at byte ${offs[1]}`, `beyond the ${dataLen} data bytes: the file is truncated`);
    // a copy of the tensor's bytes (subarray + set: Node's Buffer.slice is a view, not a copy)
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + offs[0], dataStart + offs[1]));
    tensors[name] = { shape: t.shape as number[], data };
  }
  return { tensors, metadata };
}
