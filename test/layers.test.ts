// The layer rules, read from the import statements of every source file
// (static, dynamic and type-only imports and re-exports alike):
//   src/reference ← nothing of the engine, the kernels, the GPU or anything
//                   above them (only the model's definitions: config, params);
//   src/kernels   ← nothing of src/engine or src/model (nor anything above);
//   src/engine    ← no Node modules (node:*): it runs in browsers too;
//   test/         ← nothing of study/ (but study.test.ts, the study's own test).
// PENDING lists the imports that break a rule today in files whose owners
// have been asked to move them; the test fails on any other, and on a
// PENDING entry that is gone (remove it from the list then).
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve, dirname, relative, join } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(root, p)).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** Every module specifier `file` imports: import … from, export … from, import '…', import('…'). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^;'"]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2]);
  return out;
}

/** `file`'s imports as repository paths (relative ones resolved) or bare names (node:fs, webgpu). */
function resolved(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return importsOf(text).map((s) => (s.startsWith('.') ? relative(root, resolve(dirname(join(root, file)), s)).replace(/\.(ts|js)$/, '') : s));
}

/** The directories above the kernels (and the reference). */
const ABOVE = ['src/engine', 'src/model', 'src/api', 'src/cli', 'src/lm', 'src/node', 'src/worker', 'src/interop', 'src/data'];

interface Rule {
  name: string;
  files: () => string[];
  bad: (target: string, file: string) => boolean;
}

const RULES: Rule[] = [
  {
    name: 'reference ← nothing of engine/kernels/gpu/model runtime',
    files: () => files('src/reference'),
    bad: (t) => ['src/kernels', 'src/gpu', ...ABOVE].some((d) => t.startsWith(d + '/')) && !['src/model/config', 'src/model/params'].includes(t),
  },
  {
    name: 'kernels ← nothing of engine/model',
    files: () => files('src/kernels'),
    bad: (t) => ABOVE.some((d) => t.startsWith(d + '/')),
  },
  {
    name: 'engine ← no Node modules',
    files: () => files('src/engine'),
    bad: (t) => t.startsWith('node:') || ['fs', 'path', 'os', 'url', 'child_process', 'worker_threads', 'module'].includes(t),
  },
  {
    name: 'tests ← nothing of study/',
    files: () => files('test').filter((f) => f !== 'test/study.test.ts'),
    bad: (t) => t.startsWith('study/'),
  },
];

/** Imports that break a rule in files their owners were asked to change (see the issue's closing note). */
const PENDING: string[] = [];

describe('layer rules', () => {
  it('the import reader sees static, type-only, re-export, side-effect and dynamic imports', () => {
    const text = `import a from './a';\nimport type { B } from "../b";\nexport { c } from './c';\nimport './d.css';\nconst e = await import('../e');\nimport {\n  f,\n} from 'node:f';`;
    expect(importsOf(text)).toEqual(['./a', '../b', './c', './d.css', '../e', 'node:f']);
  });

  it('every source file keeps the layer rules (but for the PENDING imports)', () => {
    const found: string[] = [];
    for (const rule of RULES) {
      for (const f of rule.files()) for (const t of resolved(f)) if (rule.bad(t, f)) found.push(`${f} → ${t}`);
    }
    console.log(`layer rules: ${found.length} import(s) against them${found.length ? `: ${found.join('; ')}` : ''}`);
    expect(found.sort()).toEqual([...PENDING].sort());
  });
});
