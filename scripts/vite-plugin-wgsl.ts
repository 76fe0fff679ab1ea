// A small Vite plugin: `import src from './x.wgsl'` gives the file's text.
// In `vite build` every shader in shaders/ is also compiled by Dawn, once,
// in a child process (scripts/validate-wgsl.ts: Dawn loaded in the Vite
// process crashes it while Vite bundles the training worker), and the build
// fails with file:line:column when one has an error. Where no WebGPU
// adapter exists the build warns that shaders went unchecked.
import type { Plugin } from 'vite';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

let validated = false; // once per process (the worker's bundle shares it)

/** `import src from './x.wgsl'` as text; in `vite build`, every shader compiled by Dawn first. */
export function wgsl(): Plugin {
  let validate = false;
  return {
    name: 'webgpu-bptt:wgsl',
    enforce: 'pre',
    configResolved(config) {
      validate = config.command === 'build';
    },
    buildStart() {
      if (!validate || validated) return;
      validated = true;
      const root = resolve(import.meta.dirname, '..');
      const r = spawnSync(process.execPath, ['--import', './scripts/register.mjs', 'scripts/validate-wgsl.ts'], { cwd: root, encoding: 'utf8' });
      if (r.status === 2) return this.warn('shaders not validated (no WebGPU adapter in this build)');
      if (r.status !== 0) this.error(`shader validation failed to run (exit ${r.status ?? r.signal}): ${r.stderr}`);
      for (const line of r.stdout.split('\n').filter((l) => l.startsWith('WGSL '))) {
        const m = JSON.parse(line.slice(5)) as { file: string; line: number; col: number; type: string; message: string };
        const where = `${m.file}:${m.line}:${m.col}`;
        if (m.type === 'error') this.error(`${where}: ${m.message}`);
        else this.warn(`${where}: ${m.type}: ${m.message}`);
      }
    },
    transform(code, id) {
      if (!id.split('?')[0].endsWith('.wgsl')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}
