// Every kernel fits WebGPU's default limits, so an app can drop it into a
// device requested with no raised limits: at most 8 storage buffers per
// shader stage (an LSTM backward with 11 once failed in Chromium, whose
// SwiftShader allows 10).
import { describe, it, expect } from 'vitest';
import { shaderFiles } from '../scripts/shader-files';

describe('WebGPU default limits', () => {
  it('every shader binds at most 8 storage buffers (maxStorageBuffersPerShaderStage)', () => {
    const files = Object.entries(shaderFiles());
    expect(files.length).toBeGreaterThan(20);
    for (const [f, text] of files) {
      const n = (text.match(/var<storage/g) ?? []).length;
      expect(n, f).toBeLessThanOrEqual(8);
    }
  });
});
