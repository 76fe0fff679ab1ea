// The matmul family is generated from one spec (src/kernels/matmul-spec.ts,
// text in matmul-wgsl.ts); no copy is kept in shaders/. Checks that the
// shipped files (scripts/shader-files.ts, emitted by the build) and each
// exported WGSL constant are the generator's text, and that the spec's names
// follow the one naming scheme the sweep uses too.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { matmulFiles, matmulWgsl, GENERATED_BY } from '../src/kernels/matmul-wgsl';
import { MATMUL_SHADERS, MATMUL_VARIANTS, matmulBlockName, type MatmulShader } from '../src/kernels/matmul-spec';
import * as matmul from '../src/kernels/matmul';
import { shaderFiles, SHADER_DIR } from '../scripts/shader-files';

const names = Object.keys(MATMUL_SHADERS) as MatmulShader[];

describe('generated matmul shaders', () => {
  it('the shipped family is the generator\'s output, headed as generated, with nothing of that name hand-written in shaders/', () => {
    const files = matmulFiles();
    expect(Object.keys(files).sort()).toEqual(names.map((n) => MATMUL_SHADERS[n].file).sort());
    const shipped = shaderFiles();
    for (const [file, text] of Object.entries(files)) {
      expect(shipped[file], file).toBe(text);
      expect(text.split('\n')[0]).toBe(GENERATED_BY);
    }
    expect(readdirSync(SHADER_DIR).filter((f) => /^matmul.*\.wgsl$/.test(f))).toEqual([]);
  });

  it('each exported MATMUL_*_WGSL is its generated file', () => {
    for (const name of names) {
      const exported = (matmul as unknown as Record<string, string>)[MATMUL_SHADERS[name].exportName];
      expect(exported, name).toBe(matmulWgsl(name));
    }
  });

  it('the spec names each shader by the one naming scheme, and lists the variants the engine has always had', () => {
    for (const name of names) expect(matmulBlockName(MATMUL_SHADERS[name])).toBe(name);
    // the list before the family was generated (persisted tuned choices name these)
    expect(MATMUL_VARIANTS).toEqual([
      'scalar@8x8', 'vec4@8x8', 'vec4@16x4', 'vec4@16x16', 'vec4-4x8@8x8', 'vec4-8x8@4x4', 'vec4-8x8@8x8', '8x8@4x4', '8x8@8x8',
      '8x8-vb@4x4', '8x8-vb@8x8', '8x8-vab@4x4', '8x8-k4@4x4', '8x8-vb-k4@4x4', '4x8@8x8', '4x8-vb@8x8',
    ]);
    // the sweep's blocks outside the engine's family get names of the same scheme
    expect(matmulBlockName({ kind: 'reg', tm: 8, tn: 4, bVec: true })).toBe('8x4-vb');
    expect(matmulBlockName({ kind: 'reg', tm: 4, tn: 4, bVec: true, unroll: true })).toBe('4x4-vb-k4');
  });
});
