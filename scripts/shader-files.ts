// Every shader the library ships, by file name: the hand-written ones in
// shaders/ and the matmul family, generated from its spec (no copy of it is
// kept in the tree). The build emits each as dist/wgsl/<file> (the package's
// webgpu-bptt/wgsl/*), validate-wgsl.ts compiles each, and the tests read them
// here.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { matmulFiles } from '../src/kernels/matmul-wgsl.ts';

/** The folder of the hand-written shaders. */
export const SHADER_DIR = resolve(import.meta.dirname, '../shaders');

/** File name → WGSL text of every shipped shader, sorted by name. */
export function shaderFiles(): Record<string, string> {
  const all: Record<string, string> = { ...matmulFiles() };
  for (const f of readdirSync(SHADER_DIR).filter((f) => f.endsWith('.wgsl'))) {
    if (f in all) throw new Error(`shaders/${f} has the name of a generated matmul shader: rename it`);
    all[f] = readFileSync(resolve(SHADER_DIR, f), 'utf8');
  }
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)));
}
