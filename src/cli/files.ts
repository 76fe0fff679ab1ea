// Reading a file named on the command line: stat first, so a device such as
// /dev/zero (size 0, endless) or a directory is refused instead of hanging.
import { readFileSync, statSync } from 'node:fs';
import { BpttError } from '../errors';

/** The bytes of the regular file `path` (at most `maxBytes`); errors name `field`. */
export function readRegularFile(field: string, path: string, maxBytes: number, what = 'a path to a file'): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new BpttError(field, path, `cannot be read (${what})`);
  }
  if (!st.isFile()) throw new BpttError(field, path, `must be a regular file (${what}); this is ${st.isDirectory() ? 'a directory' : 'a device, pipe or socket'}`);
  if (st.size > maxBytes) throw new BpttError(field, `${path} (${st.size} bytes)`, `must be at most ${maxBytes} bytes`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch {
    throw new BpttError(field, path, `cannot be read (${what})`);
  }
}
