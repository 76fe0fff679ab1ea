// The matmul family is generated from one spec (src/kernels/matmul-spec.ts,
// text in matmul-wgsl.ts, written by scripts/gen-matmul.ts). Regenerates
// every shader in memory and fails on any difference from shaders/, checks
// that each exported WGSL constant is its generated file, and that the spec's
// names follow the one naming scheme the sweep uses too.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { matmulFiles, matmulWgsl, GENERATED_BY } from '../src/kernels/matmul-wgsl';
import { MATMUL_SHADERS, MATMUL_VARIANTS, matmulBlockName, type MatmulShader } from '../src/kernels/matmul-spec';
import * as matmul from '../src/kernels/matmul';

const shaders = resolve(import.meta.dirname, '../shaders');
const names = Object.keys(MATMUL_SHADERS) as MatmulShader[];

describe('generated matmul shaders', () => {
  it('every shaders/matmul*.wgsl is what scripts/gen-matmul.ts writes today (rerun it after editing the spec)', () => {
    const files = matmulFiles();
    const onDisk = readdirSync(shaders).filter((f) => /^matmul.*\.wgsl$/.test(f)).sort();
    expect(onDisk).toEqual(Object.keys(files).sort());
    for (const [file, text] of Object.entries(files)) {
      expect(readFileSync(resolve(shaders, file), 'utf8'), file).toBe(text);
      expect(text.split('\n')[0]).toBe(GENERATED_BY);
    }
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
