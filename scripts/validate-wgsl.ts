// Compile every .wgsl file in the folder given (argv[2]) with Dawn (the npm
// `webgpu` package) and print the compiler's messages as lines
// 'WGSL {file, line, col, type, message}' (JSON).
// Run in its own process by the Vite plugin (vite-plugin-wgsl.ts), which
// writes every shipped shader there first (scripts/shader-files.ts): Dawn
// loaded inside the Vite process crashes it when Vite bundles a worker, and
// this process imports no more than the driver check (loading the matmul
// generator here before or after Dawn crashed or hung Dawn on SwiftShader).
// Exit code 2: no WebGPU adapter here.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseDriverOrNull } from '../src/node/driver.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: validate-wgsl.ts <folder of .wgsl files>');
if (chooseDriverOrNull('auto') === null) process.exit(2);
process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'xdg-')); // SwiftShader wants one
const webgpu = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
Object.assign(globalThis, webgpu.globals);
const adapter = await webgpu.create([]).requestAdapter();
const dev = adapter ? await adapter.requestDevice() : null;
if (!dev) process.exit(2);
for (const file of readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort()) {
  const info = await dev.createShaderModule({ code: readFileSync(join(dir, file), 'utf8'), label: file }).getCompilationInfo();
  for (const m of info.messages) console.log('WGSL ' + JSON.stringify({ file, line: m.lineNum, col: m.linePos, type: m.type, message: m.message }));
}
dev.destroy();
process.exit(0);
