// Training in a Web Worker (src/worker) in headless Chromium: the page stays
// responsive (no long task over 50 ms in 10 s of training), pause / resume /
// abort act on events, the worker's GPU memory returns to zero after every
// job, and a model saved to browser storage (src/storage) loads after a
// reload with the same predictions, which equal float64 computed here in
// Node from the bytes the worker handed back.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { build, type Plugin } from 'vite';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, extname, normalize } from 'node:path';
import { startSession, openPage, type Session } from './browser';
import { decodeModel } from '../src/api/format';
import { modelConfig } from '../src/api/spec';
import { referenceCells } from '../src/reference/cells64';
import { T } from './pages/worker.data';

type Api = NonNullable<Window['__worker']>;
type R<K extends keyof Api> = Awaited<ReturnType<Api[K]>>;

let s: Session;
let page: Page;
let errors: string[];
beforeAll(async () => {
  s = await startSession();
  await s.server.watcher.close(); // no hot reload mid-test when another file is saved
  ({ page, errors } = await openPage(s, '/e2e/pages/worker.html'));
  await page.waitForFunction(() => window.__worker !== undefined, undefined, { timeout: 60_000 });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;

/** Float64 predictions (N, T) batch-major of the saved model on x (N, T, 1), computed here. */
function predictHere(bytes: Uint8Array, x: number[]): number[] {
  const { spec, weights } = decodeModel(bytes);
  const config = modelConfig(spec);
  const n = x.length / T;
  const xt = new Float64Array(n * T);
  for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) xt[t * n + i] = x[i * T + t];
  const { o } = referenceCells(config, weights, { B: n, T, x: xt, y: new Float64Array(n * T) });
  return Array.from({ length: n * T }, (_, r) => o[(r % T) * n + Math.floor(r / T)]);
}

describe('training in a Web Worker (Chromium)', () => {
  let stored: R<'trainAndStore'>;

  it('10 s of worker training (run alone): no main-thread long task, losses fall; pause, resume and abort act on events', async () => {
    const r = await page.evaluate(() => window.__worker!.trainTenSeconds());
    console.log(`worker adapter: ${r.adapter}; ${r.losses.length} batches in ${(r.trainedMs / 1000).toFixed(1)} s from the first (observed ${(r.observedMs / 1000).toFixed(1)} s); loss ${mean(r.losses.slice(0, 4)).toFixed(4)} (first 4) → ${mean(r.losses.slice(-4)).toFixed(4)} (last 4)`);
    console.log(`long tasks while training: ${JSON.stringify(r.longTasks)}; the 120 ms control task was seen as ${r.controlDuration.toFixed(0)} ms`);
    console.log(`paused at step ${r.pausedAt} (worker: ${r.whilePaused.batches} batches, ${r.whilePaused.memory.buffers} buffers, ${r.whilePaused.memory.bytes} bytes); resumed → step ${r.afterResume}; aborted at ${r.abortedDetail.step}, then ${r.afterAbort.memory.buffers} buffers`);
    expect(r.supported).toBe(true);
    expect(r.detached).toBe(true); // x and y were transferred to the worker
    expect(r.trainedMs).toBeGreaterThanOrEqual(10_000);
    expect(r.longTasks.filter((t) => t.duration > 50)).toEqual([]);
    expect(r.controlDuration).toBeGreaterThan(50); // the observer does see a long task on this thread
    expect(r.losses.length).toBeGreaterThan(8);
    expect(mean(r.losses.slice(-4))).toBeLessThan(0.5 * mean(r.losses.slice(0, 4)));
    // paused: the worker answers twice, no batch runs, the model's buffers are held
    expect(r.whilePaused).toMatchObject({ paused: true, batches: r.pausedAt });
    expect(r.again.batches).toBe(r.pausedAt);
    expect(r.batchesWhilePaused).toBe(0);
    expect(r.whilePaused.memory.buffers).toBeGreaterThan(0);
    // resumed: training goes on from where it paused
    expect(r.resumedFrom).toBe(r.pausedAt);
    expect(r.afterResume).toBe(r.pausedAt + 1);
    // aborted: an AbortError, and every buffer of the job destroyed
    expect(r.rejection).toBe('AbortError');
    expect(r.abortedDetail.step).toBeGreaterThan(r.pausedAt);
    expect(r.abortedDetail.memory).toEqual({ buffers: 0, bytes: 0 });
    expect(r.afterAbort).toMatchObject({ job: null, memory: { buffers: 0, bytes: 0 } });
    expect(errors).toEqual([]);
  });

  it('repeated jobs leave no GPU memory behind; bad input is refused by name; the model is stored in OPFS and IndexedDB', async () => {
    stored = await page.evaluate(() => window.__worker!.trainAndStore());
    const r = stored;
    // the first job was aborted after a batch: an AbortError, and the worker kept nothing of it
    expect(r.midAbort.rejection).toBe('AbortError');
    expect(r.midAbort.state).toMatchObject({ job: null, memory: { buffers: 0, bytes: 0 } });
    for (const [k, j] of r.jobs.entries()) console.log(`job ${k + 1} after the aborted one: ${j.steps} batches, epoch loss ${j.history[0].toFixed(4)} → ${j.history.at(-1)!.toFixed(4)}, after: ${j.memory.buffers} buffers`);
    console.log(`bad input: ${r.badError?.message}`);
    for (const j of r.jobs) {
      expect(j.memory).toEqual({ buffers: 0, bytes: 0 });
      expect(j.steps).toBe(60 * 4);
      expect(j.history.at(-1)!).toBeLessThan(0.5 * j.history[0]);
    }
    expect(r.state.memory).toEqual({ buffers: 0, bytes: 0 });
    expect(r.badError).toMatchObject({ name: 'BpttError', field: 'x.shape' });
    expect(r.badError!.message).toContain('[N][T][1]');
    expect(r.afterBad.memory).toEqual({ buffers: 0, bytes: 0 });
    expect(r.badSpec).toMatch(/^BpttError: options\.spec\.hidden = 0: must be an integer in \[1, /);
    expect(r.signalled).toBe('AbortError');
    // a saved model continues where it stopped: its first batch's loss is near the end of its training, far below a fresh start's
    console.log(`continued from the saved model: first batch loss ${r.continued.firstLoss.toFixed(5)} (fresh start ${r.jobs[0].history[0].toFixed(4)}), epoch loss ${r.continued.result.loss[0].toFixed(5)}`);
    expect(r.continued.firstLoss).toBeLessThan(10 * r.jobs[1].history.at(-1)!);
    expect(r.continued.result.memory).toEqual({ buffers: 0, bytes: 0 });
    expect(r.afterAll.memory).toEqual({ buffers: 0, bytes: 0 });
    // the page's predictions from the handed-back bytes are float64's, computed here from the same bytes
    const bytes = Uint8Array.from(r.bytes);
    const here = predictHere(bytes, r.testX);
    const gap = Math.max(...here.map((v, i) => Math.abs(v - r.predictions.o[i])));
    console.log(`page (GPU, loadModel + predict) vs Node float64 predictions: max gap ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-5);
    expect(r.predictions.memoryAfter).toBe(0);
    // and the model learned the task: y_t = x_{t−1} on held-out sequences (predicting 0 scores E[x²] = 1/3)
    const mse = mean(here.map((p, i) => (p - r.testY[i]) ** 2));
    console.log(`held-out MSE of the stored model: ${mse.toFixed(5)} (zero predictor ${mean(r.testY.map((v) => v * v)).toFixed(5)})`);
    expect(mse).toBeLessThan(0.05);
    expect(r.listed.opfs).toEqual([{ name: 'delay gru/1', size: bytes.length }]);
    expect(r.listed.indexeddb).toEqual([{ name: 'delay-gru-idb', size: bytes.length }]);
  });

  it('after a reload, the stored models load with the same predictions; delete removes them', async () => {
    await page.reload();
    await page.waitForFunction(() => window.__worker !== undefined, undefined, { timeout: 60_000 });
    const r = await page.evaluate(() => window.__worker!.loadStored());
    expect(r.opfs.o).toEqual(stored.predictions.o);
    expect(r.indexeddb.o).toEqual(stored.predictions.o);
    expect(r.deleted).toEqual([true, true, false]);
    expect(r.listedAfter).toEqual([]);
    expect(r.missing).toContain('is not a stored model');
    expect(r.tooLong).toMatch(/^BpttError: name = .*: must URI-encode to at most 243 characters \(a file name in OPFS\); this one takes 600$/);
    expect(errors).toEqual([]);
  });
});

// The package's build: `vite build` in library mode must emit the worker as a
// file of its own and point at it relative to the module that starts it.
// The settings this needs (also asked of vite.config.ts): the worker bundle
// gets the WGSL plugin, base './' makes the worker's URL relative, and the
// worker's file name carries no hash.
/**
 * `import src from './x.wgsl'` as text. Not scripts/vite-plugin-wgsl.ts: it
 * loads Dawn into this process to validate the shaders, and Dawn in the
 * process while Vite bundles a worker crashes it (about half the builds).
 */
const wgslText: Plugin = {
  name: 'wgsl-text',
  enforce: 'pre',
  transform: (code, id) => (id.split('?')[0].endsWith('.wgsl') ? { code: `export default ${JSON.stringify(code)};`, map: null } : null),
};

describe('the worker from a library build (Chromium)', () => {
  it('vite build emits the worker; the built ModelWorker trains in it and the built storage round-trips the model', async () => {
    const root = resolve(import.meta.dirname, '..');
    const dir = mkdtempSync(join(tmpdir(), 'bptt-worker-build-'));
    try {
      await build({
        configFile: false,
        root,
        base: './',
        logLevel: 'error',
        plugins: [wgslText],
        // a fixed file name, so package.json can export it ('webgpu-bptt/train-worker.js') for bundlers that do not follow new URL(…)
        worker: { format: 'es', plugins: () => [wgslText], rollupOptions: { output: { entryFileNames: 'assets/[name].js' } } },
        build: {
          outDir: join(dir, 'dist'),
          emptyOutDir: true,
          target: 'es2022',
          minify: false,
          lib: { entry: { worker: join(root, 'src/worker/model-worker.ts'), storage: join(root, 'src/storage/model-store.ts') }, formats: ['es'] },
        },
      });
      const assets = readdirSync(join(dir, 'dist/assets'));
      console.log(`built: ${readdirSync(join(dir, 'dist')).join(', ')}; assets: ${assets.join(', ')}`);
      expect(assets).toContain('train-worker.js');
      expect(readFileSync(join(dir, 'dist/worker.js'), 'utf8')).toContain('new URL("assets/train-worker.js", import.meta.url)');
      writeFileSync(join(dir, 'index.html'), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">
        import { trainInWorker } from './dist/worker.js';
        import { saveModelToStorage, loadModelFromStorage } from './dist/storage.js';
        const N = 16, T = 6, x = new Float32Array(N * T), y = new Float32Array(N * T);
        for (let i = 0; i < N * T; i++) { x[i] = Math.sin(1.7 * i) ; y[i] = i % T === 0 ? 0 : x[i - 1]; }
        const job = trainInWorker({ spec: { cell: 'lstm', hidden: 8, input: { features: 1 }, output: { regression: 1 }, returnSequences: true },
          x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, T, 1] }, fitOptions: { epochs: 40, batchSize: 8, optimizer: { kind: 'adam', lr: 0.03 } } });
        job.result.then(async (r) => {
          await saveModelToStorage('built', r.bytes);
          const back = await loadModelFromStorage('built');
          window.__r = { history: r.history.history.loss, memory: r.memory, size: r.bytes.length, same: back.length === r.bytes.length && back.every((v, i) => v === r.bytes[i]) };
        }).catch((e) => (window.__r = { failure: String(e) }));
      </script>`);
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
      const server = createHttpServer((req, res) => {
        const path = normalize(join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/\/$/, '/index.html')));
        if (!path.startsWith(dir)) return void res.writeHead(403).end();
        try {
          const body = readFileSync(path);
          res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
        } catch {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      try {
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : 0;
        const p = await s.browser.newPage();
        const errs: string[] = [];
        p.on('pageerror', (e) => errs.push(String(e)));
        p.on('console', (m) => m.type() === 'error' && errs.push(m.text()));
        await p.goto(`http://127.0.0.1:${port}/`);
        await p.waitForFunction(() => (window as unknown as { __r?: unknown }).__r !== undefined, undefined, { timeout: 110_000 });
        const r = (await p.evaluate(() => (window as unknown as { __r: unknown }).__r)) as { failure?: string; history: number[]; memory: { buffers: number }; size: number; same: boolean };
        expect(r.failure, r.failure).toBeUndefined();
        console.log(`built worker: epoch loss ${r.history[0].toFixed(4)} → ${r.history.at(-1)!.toFixed(4)}; model ${r.size} bytes; ${r.memory.buffers} buffers after`);
        expect(r.history.at(-1)!).toBeLessThan(0.5 * r.history[0]);
        expect(r.memory).toEqual({ buffers: 0, bytes: 0 });
        expect(r.same).toBe(true);
        expect(errs).toEqual([]);
        await p.close();
      } finally {
        server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
