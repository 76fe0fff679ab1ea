// Every kernel fits WebGPU's default limits, so an app can drop it into a
// device requested with no raised limits: at most 8 storage buffers per
// shader stage (an LSTM backward with 11 once failed in Chromium, whose
// SwiftShader allows 10).
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../shaders/', import.meta.url);

describe('WebGPU default limits', () => {
  it('every shader binds at most 8 storage buffers (maxStorageBuffersPerShaderStage)', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const n = (readFileSync(new URL(f, dir), 'utf8').match(/var<storage/g) ?? []).length;
      expect(n, f).toBeLessThanOrEqual(8);
    }
  });
});
