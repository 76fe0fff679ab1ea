// One config for the library build (`vite build`), the demo (`vite --mode demo`,
// `vite build --mode demo`) and the tests (vitest).
import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';
import { wgsl } from './scripts/vite-plugin-wgsl.ts';

export default defineConfig(({ mode }) => {
  const demo = mode === 'demo';
  return {
    plugins: [wgsl({ ship: !demo })],
    // the training worker (src/worker/train-worker.ts) is bundled on its own: it needs the WGSL plugin too,
    // and a fixed file name so package.json can export it
    worker: { format: 'es', plugins: () => [wgsl()], rollupOptions: { output: { entryFileNames: 'assets/[name].js' } } },
    // the library's worker URL relative to the module that starts it (not the site's root)
    base: demo ? '/' : './',
    root: demo ? resolve(import.meta.dirname, 'demo') : import.meta.dirname,
    server: { host: '127.0.0.1', port: 5173 },
    preview: { host: '127.0.0.1', port: 4173 },
    build: demo
      ? { outDir: resolve(import.meta.dirname, 'dist-demo'), emptyOutDir: true, target: 'es2022' }
      : {
          outDir: 'dist',
          emptyOutDir: true,
          target: 'es2022',
          minify: false,
          sourcemap: true,
          lib: {
            entry: {
              index: resolve(import.meta.dirname, 'src/index.ts'),
              kernels: resolve(import.meta.dirname, 'src/kernels/index.ts'),
              node: resolve(import.meta.dirname, 'src/node/index.ts'),
              cli: resolve(import.meta.dirname, 'src/cli/main.ts'),
            },
            formats: ['es'],
          },
          rollupOptions: { external: [/^node:/, 'webgpu', 'cli-progress'] },
        },
    test: {
      include: ['test/**/*.test.ts', 'e2e/**/*.test.ts'],
      // per test and per file: validation errors fail the test, a file's kernel buffers are freed
      setupFiles: ['test/setup.ts'],
      pool: 'forks',
      // SwiftShader runs on the CPU: generous per-test time, shapes kept small.
      testTimeout: 120_000,
      hookTimeout: 60_000,
      fileParallelism: false,
    },
  };
});
