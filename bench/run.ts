// `npm run bench`: our engine and TensorFlow.js side by side, in one run on
// one device. --env browser (default): headless Chromium through Playwright
// (GPU flags when a GPU exists, SwiftShader's otherwise: e2e/browser.ts);
// --env node: Node with Dawn (for GPU machines without a browser). The adapter
// is named first; --require-gpu stops there, non-zero, when it is a software
// one. Writes bench/results/*.json and the "Latest run" section of BENCHMARKS.md.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, checkFlags, str, num } from '../src/cli/args';
import { createNodeDevice, nodeGpu } from '../src/node/device';
import { adapterIdentity, adapterName, softwareAdapterReason, type AdapterIdentity } from '../src/gpu/device';
import { runBench, type BenchReport, type PeerBackend, type StrategyName } from './core';
import { WORKLOADS } from './workloads';
import { MATMUL_VARIANTS, type MatmulVariant } from '../src/kernels/matmul';
import { toMarkdown, spliceLatest } from './report';
import { requireGpuRefusal } from './adapter';
import { runInference, INFERENCE_SHAPES, type InferenceResult } from './inference';

const HELP = `Usage: npm run bench -- [--env browser|node] [--workloads S,M] [--strategies full,regular,randomized]
       [--steps 5] [--warmup 2] [--peers webgpu,wasm|none] [--max-peer-seconds 60] [--no-sweep] [--no-write] [--json FILE]
       [--matmul-variants V1,V2] [--require-gpu] [--inference LSTM|tiny|none]
--matmul-variants: the matmul variants the per-device choice times (default: all of them).
--require-gpu: stop before any workload, exit 3, when the adapter is a software one (SwiftShader, llvmpipe, a fallback adapter).
--inference: after the workloads, forward-only tokens/s of an LSTM (V=28, H=256, B=32, T=35; default LSTM) through Model.predict
  and Model.stream, against TF.js model.predict (the --peers backends) and ONNX Runtime Web (wasm, and webgpu where it loads).
Chromium gets GPU flags (Vulkan through ANGLE) when /dev/nvidia* or /dev/dri/renderD* exists; BPTT_GPU=1 or 0 decides instead.
Workloads: S (V=28,H=256,B=32,T=35), M (V=28,H=512,B=32,T=35), L (V=96,H=1024,B=64,T=128; opt-in),
LSTM (V=28,H=256,B=32,T=35, cell lstm; opt-in), tiny.`;

const args = parseArgs(process.argv.slice(2), ['help', 'no-write', 'no-sweep', 'require-gpu']);
if (args.flags.has('help')) {
  console.log(HELP);
  process.exit(0);
}
checkFlags(args, ['env', 'workloads', 'strategies', 'steps', 'warmup', 'peers', 'max-peer-seconds', 'no-write', 'no-sweep', 'json', 'help', 'driver', 'require-gpu', 'matmul-variants', 'inference']);
const requireGpu = args.flags.has('require-gpu');
const noSweep = args.flags.has('no-sweep');
const env = str(args, 'env', existsSync('/usr/bin/chromium') ? 'browser' : 'node');
const workloads = str(args, 'workloads', 'S,M');
for (const w of workloads.split(',')) if (!WORKLOADS[w]) throw new Error(`--workloads: unknown workload ${w}`);
const strategies = str(args, 'strategies', 'full,regular,randomized');
const peersArg = str(args, 'peers', 'webgpu,wasm');
const peers = (peersArg === 'none' ? [] : peersArg.split(',')) as PeerBackend[];
const steps = num(args, 'steps', 5, { int: true, min: 1 });
const warmup = num(args, 'warmup', 2, { int: true, min: 0 });
const maxPeerSeconds = num(args, 'max-peer-seconds', 60, { min: 1 });
const tuneArg = str(args, 'matmul-variants', '');
const tuneVariants = tuneArg ? (tuneArg.split(',') as MatmulVariant[]) : undefined;
const inference = str(args, 'inference', 'LSTM');
if (inference !== 'none' && !INFERENCE_SHAPES[inference]) throw new Error(`--inference: unknown ${inference}; known: ${Object.keys(INFERENCE_SHAPES).join(', ')}, none`);
for (const v of tuneVariants ?? []) if (!MATMUL_VARIANTS.includes(v)) throw new Error(`--matmul-variants: unknown variant ${v}; known: ${MATMUL_VARIANTS.join(', ')}`);

/** Name the adapter; under --require-gpu, stop (exit 3) when it is a software one. */
function checkAdapter(info: AdapterIdentity | null, onStop?: () => Promise<void>): Promise<void> | void {
  const why = softwareAdapterReason(info);
  console.log(`adapter: ${adapterName(info)}${why ? ` (software adapter: ${why})` : ''}`);
  // scripts/test.sh limits SwiftShader's threads this way while its suites share the cores
  if (why && existsSync('SwiftShader.ini')) console.log(`note: SwiftShader.ini in ${process.cwd()} sets SwiftShader's threads (${readFileSync('SwiftShader.ini', 'utf8').match(/ThreadCount\s*=\s*(\d+)/)?.[0] ?? 'see the file'}): these times are not the machine's own`);
  const refusal = requireGpu ? requireGpuRefusal(info) : null;
  if (!refusal) return;
  console.error(refusal);
  return (onStop?.() ?? Promise.resolve()).finally(() => process.exit(3));
}

async function inNode(): Promise<BenchReport> {
  const device = await createNodeDevice();
  await checkAdapter(adapterIdentity(device), async () => device.destroy());
  const require = createRequire(import.meta.url);
  (globalThis as { navigator?: unknown }).navigator ??= { gpu: await nodeGpu(), userAgent: 'node' };
  const tf = require('@tensorflow/tfjs');
  if (peers.includes('wasm')) require('@tensorflow/tfjs-backend-wasm');
  if (peers.includes('webgpu')) require('@tensorflow/tfjs-backend-webgpu');
  const report = await runBench(
    device,
    {
      workloads: workloads.split(',').map((w) => WORKLOADS[w]),
      strategies: strategies.split(',') as StrategyName[],
      warmup,
      steps,
      tfjs: peers.length ? { tf, layers: tf, backends: peers, maxSeconds: maxPeerSeconds } : undefined,
      noSweep,
      tuneVariants,
      log: (l) => console.log(l),
    },
    `Node ${process.version} (Dawn, npm webgpu), TF.js ${tf.version.tfjs}`,
  );
  if (inference !== 'none') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1; // as in the browser page, which is not cross-origin isolated
    ort.env.logLevel = 'error';
    (report as BenchReport & { inference?: InferenceResult }).inference = await runInference(device, {
      shape: INFERENCE_SHAPES[inference],
      tfjs: peers.length ? { tf, layers: tf, backends: peers } : undefined,
      ort: { ort, providers: ['wasm', 'webgpu'] },
      log: (l) => console.log(l),
    });
  }
  device.destroy();
  return report;
}

async function inBrowser(): Promise<BenchReport> {
  const { startSession, launchChromium, probeAdapter, CHROMIUM_FLAGS_CHOICE } = await import('../e2e/browser');
  console.log(CHROMIUM_FLAGS_CHOICE);
  // the adapter first, before the server and the page: --require-gpu stops here
  const browser = await launchChromium();
  await checkAdapter(await probeAdapter(browser), () => browser.close());
  const s = await startSession('development', { quiet: true, browser });
  // a run takes many minutes: an edit to a source file must not reload the page (and restart the run) midway
  await s.server.watcher.close();
  try {
    const page = await s.browser.newPage();
    page.on('console', (m) => {
      if (!m.text().startsWith('[vite]')) console.log(m.text());
    });
    const q = new URLSearchParams({ workloads, strategies, peers: peers.join(','), steps: String(steps), warmup: String(warmup), maxPeerSeconds: String(maxPeerSeconds), noSweep: noSweep ? '1' : '', inference, requireGpu: requireGpu ? '1' : '', tune: tuneArg, flags: CHROMIUM_FLAGS_CHOICE.includes('GPU (') ? 'GPU flags' : 'SwiftShader flags' });
    await page.goto(`${s.base}/bench/page.html?${q}`);
    await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 0 });
    const r = (await page.evaluate(() => (window as { __bench?: unknown }).__bench)) as BenchReport & { failure?: string };
    if (r.failure?.startsWith('bench --require-gpu')) await checkAdapter(r.adapterInfo ?? null, () => s.close());
    if (r.failure) throw new Error(r.failure);
    return r;
  } finally {
    await s.close();
  }
}

/** The commit this run is made from, marked '+ uncommitted changes' when the tree differs from it. */
function commit(): string | undefined {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'shaders', 'bench'], { encoding: 'utf8' }).trim();
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return undefined;
  }
}

const report = env === 'node' ? await inNode() : await inBrowser();
report.commit = commit();
const jsonOut = str(args, 'json', '');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2) + '\n');
const md = toMarkdown(report);
console.log('\n' + md);
if (!args.flags.has('no-write')) {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `latest-${env}.json`), JSON.stringify(report, null, 2) + '\n');
  const file = join(import.meta.dirname, '..', 'BENCHMARKS.md');
  writeFileSync(file, spliceLatest(existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n', md));
  console.log(`wrote bench/results/latest-${env}.json and BENCHMARKS.md`);
}
process.exit(0);
