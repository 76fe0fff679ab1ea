// The packed package as a consumer uses it: `npm pack`, installed into a
// temporary copy of examples/kernels-app — without Dawn (npm's `webgpu`, an
// optional peer dependency that a web app does not need); the app type-checks
// against the package's declarations, builds with Vite and runs in headless
// Chromium (numbers checked against plain JS); plain Node and the CLI say
// what to install while Dawn is missing, then import it as ESM and train.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, readFileSync, statSync, symlinkSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { CHROMIUM, CHROMIUM_ARGS } from './browser';
import { shaderFiles } from '../scripts/shader-files';

const ROOT = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'consumer-'));
const app = join(work, 'app');
let tarball = '';
let server: PreviewServer | undefined;
let browser: Browser | undefined;
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
const runStatus = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: 'utf8' });

/** Bytes of the files under `dir` (links not followed), like `du --apparent-size`. */
function treeBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

beforeAll(() => {
  // npm pack runs "prepare" (the build) first, unless scripts/test.sh says it has just built dist/
  const built = process.env.WEBGPU_BPTT_BUILT === '1';
  run('npm', ['pack', '--pack-destination', work, '--silent', ...(built ? ['--ignore-scripts'] : [])], ROOT);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  cpSync(join(ROOT, 'examples', 'kernels-app'), app, { recursive: true });
  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  // a plain install: npm installs no optional peer, so Dawn stays out (no --omit=optional
  // needed, which would also drop Vite's native bundler binding)
  run('npm', ['install', '--prefer-offline', '--no-package-lock', tarball, `vite@${rootPkg.devDependencies.vite}`, `@webgpu/types@${rootPkg.devDependencies['@webgpu/types']}`, `typescript@${rootPkg.devDependencies.typescript}`], app);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package in a separate app', () => {
  it('exports, size and contents', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'webgpu-bptt', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.exports)).toEqual(['.', './kernels', './node', './train-worker.js', './wgsl/*', './package.json']);
    // the training worker ships as its own module beside the entry (trainInWorker starts it by URL)
    expect(existsSync(join(app, 'node_modules', 'webgpu-bptt', 'dist', 'assets', 'train-worker.js'))).toBe(true);
    expect(pkg.sideEffects).toBe(false);
    // every shader ships as webgpu-bptt/wgsl/<file>, the generated matmul family too
    const files = readdirSync(join(app, 'node_modules', 'webgpu-bptt', 'dist', 'wgsl')).sort();
    expect(files).toEqual(Object.keys(shaderFiles()));
    console.log(`packed ${tarball.split('/').pop()}: exports ${Object.keys(pkg.exports).join(', ')}; ${files.length} WGSL files shipped`);
  });

  it('installs without Dawn: webgpu is an optional peer dependency, absent from the consumer', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'webgpu-bptt', 'package.json'), 'utf8'));
    expect(pkg.dependencies?.webgpu).toBeUndefined();
    expect(pkg.peerDependenciesMeta?.webgpu?.optional).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'webgpu'))).toBe(false);
    // the package alone, as an app that only wants its kernels installs it
    const alone = join(work, 'alone');
    mkdirSync(alone);
    run('npm', ['init', '-y'], alone);
    run('npm', ['install', '--prefer-offline', '--no-package-lock', tarball], alone);
    expect(existsSync(join(alone, 'node_modules', 'webgpu'))).toBe(false);
    const aloneBytes = treeBytes(join(alone, 'node_modules'));
    const appBytes = treeBytes(join(app, 'node_modules'));
    console.log(`install without Dawn: webgpu-bptt alone ${mb(aloneBytes)} of node_modules (${readdirSync(join(alone, 'node_modules')).join(', ')}); the example app with vite + typescript ${mb(appBytes)}`);
    expect(aloneBytes).toBeLessThan(5e6);
  }, 120_000);

  it('type-checks against the shipped declarations (with @webgpu/types opted in by the app)', () => {
    run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
  });

  it('builds with Vite and runs in headless Chromium: the kernels agree with plain JS', async () => {
    run(join(app, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], app);
    server = await preview({ root: app, configFile: false, preview: { host: '127.0.0.1', port: 0 }, logLevel: 'error' });
    const url = server.resolvedUrls!.local[0];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __example?: unknown }).__example !== undefined, undefined, { timeout: 60_000 });
    const r = (await page.evaluate(() => (window as unknown as { __example: unknown }).__example)) as { failure?: string; maxErr: number; sumErr: number; sum: number; shaderLines: number };
    expect(r.failure).toBeUndefined();
    console.log(`example app: max |C − plain JS| ${r.maxErr.toExponential(2)}, |ΣC − plain JS| ${r.sumErr.toExponential(2)}`);
    expect(r.maxErr).toBeLessThan(1e-5);
    expect(r.sumErr / Math.max(1, Math.abs(r.sum))).toBeLessThan(1e-5);
    expect(r.shaderLines).toBeGreaterThan(20); // the raw WGSL came through 'webgpu-bptt/wgsl/*'
    expect(errors).toEqual([]);
  });

  it('without Dawn, webgpu-bptt/node and the CLI say to run npm install webgpu (exit code 2, no stack trace)', () => {
    const script = `
      import { createNodeDevice } from 'webgpu-bptt/node';
      try { await createNodeDevice(); console.log('created'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const out = run(process.execPath, ['--input-type=module', '-e', script], app).trim();
    expect(out).toMatch(/^BpttError: webgpu = not installed: .*run 'npm install webgpu'$/);
    const cli = runStatus(process.execPath, [join(app, 'node_modules', '.bin', 'webgpu-bptt'), 'train', '--epochs', '1', '--quiet'], app);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^webgpu-bptt: webgpu = not installed: .*run 'npm install webgpu'$/)]);
    // help needs no Dawn
    const help = runStatus(process.execPath, [join(app, 'node_modules', '.bin', 'webgpu-bptt'), 'sample', '--help'], app);
    expect(help.status).toBe(0);
  });

  it('plain Node (ESM) imports it and trains a step through webgpu-bptt/node once Dawn is there', () => {
    // as 'npm install webgpu' would, without copying 132 MB: link our own copy in
    symlinkSync(join(ROOT, 'node_modules', 'webgpu'), join(app, 'node_modules', 'webgpu'), 'dir');
    expect(lstatSync(join(app, 'node_modules', 'webgpu')).isSymbolicLink()).toBe(true);
    const script = `
      import { Trainer, charLmConfig } from 'webgpu-bptt';
      import { createNodeDevice } from 'webgpu-bptt/node';
      const device = await createNodeDevice();
      const t = new Trainer(device, { config: charLmConfig(5, 8), batch: 2, steps: 3 });
      const s = await (await t.step({ tokens: [0, 1, 2, 3, 4, 0], targets: [1, 2, 3, 4, 0, 1] })).stats;
      t.destroy(); device.destroy();
      console.log(JSON.stringify({ loss: s.loss, ln5: Math.log(5) }));
      process.exit(0);`;
    const out = run(process.execPath, ['--input-type=module', '-e', script], app);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(Math.abs(r.loss - r.ln5)).toBeLessThan(0.5);
  });
});
