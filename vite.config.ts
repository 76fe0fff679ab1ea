import { defineConfig } from 'vitest/config';
import { wgsl } from './scripts/vite-plugin-wgsl.ts';

export default defineConfig({
  plugins: [wgsl()],
  root: '.',
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // SwiftShader runs on the CPU: generous per-test time, shapes kept small.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
