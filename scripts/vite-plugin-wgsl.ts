// A small Vite plugin: `import src from './x.wgsl'` gives the file's text.
// In `vite build` every shader is also compiled by Dawn (the npm `webgpu`
// package) and the build fails with file:line:column when one has an error.
// Where no WebGPU adapter exists the build warns that shaders went unchecked.
import type { Plugin } from 'vite';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseDriverOrNull } from '../src/node/driver.ts';

async function dawnDevice(): Promise<GPUDevice | null> {
  if (chooseDriverOrNull('auto') === null) return null;
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'xdg-')); // SwiftShader wants one
  const webgpu = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, webgpu.globals);
  const adapter = await webgpu.create([]).requestAdapter();
  return adapter ? adapter.requestDevice() : null;
}

export function wgsl(): Plugin {
  let validate = false;
  let device: Promise<GPUDevice | null> | null = null;
  // Made lazily: only `vite build` needs a device.
  const getDevice = () =>
    (device ??= dawnDevice().catch(() => null));
  return {
    name: 'webgpu-bptt:wgsl',
    enforce: 'pre',
    configResolved(config) {
      validate = config.command === 'build';
    },
    async transform(code, id) {
      const file = id.split('?')[0];
      if (!file.endsWith('.wgsl')) return null;
      if (validate) {
        const dev = await getDevice();
        if (!dev) {
          this.warn(`${file}: not validated (no WebGPU adapter in this build)`);
        } else {
          const module = dev.createShaderModule({ code, label: file });
          const info = await module.getCompilationInfo();
          for (const m of info.messages) {
            const where = `${file}:${m.lineNum}:${m.linePos}`;
            if (m.type === 'error') this.error(`${where}: ${m.message}`);
            else this.warn(`${where}: ${m.type}: ${m.message}`);
          }
        }
      }
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
    async closeBundle() {
      const dev = await device;
      dev?.destroy();
    },
  };
}
