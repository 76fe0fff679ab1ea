// Writes shaders/matmul*.wgsl from the one spec of the matmul family
// (src/kernels/matmul-spec.ts, text in src/kernels/matmul-wgsl.ts).
//   node --import ./scripts/register.mjs scripts/gen-matmul.ts [outDir]
// test/matmul-gen.test.ts regenerates the files in memory and fails on any
// difference, so run this after editing the spec or the generator.
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { matmulFiles } from '../src/kernels/matmul-wgsl.ts';

const out = resolve(import.meta.dirname, '..', process.argv[2] ?? 'shaders');
mkdirSync(out, { recursive: true });
for (const [file, text] of Object.entries(matmulFiles())) {
  writeFileSync(resolve(out, file), text);
  console.log(`wrote ${resolve(out, file)}`);
}
