// The benchmark in the browser: our engine and TF.js on navigator.gpu.
// Options come from the URL; bench/run.ts drives this page through Playwright.
import * as tf from '@tensorflow/tfjs-core';
import * as layers from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { requestTrainingDevice, adapterIdentity } from '../src/gpu/device';
import { requireGpuRefusal } from './adapter';
import { runBench, type PeerBackend, type StrategyName } from './core';
import type { MatmulVariant } from '../src/kernels/matmul';
import { WORKLOADS } from './workloads';
import * as ort from 'onnxruntime-web';
import { runInference, INFERENCE_SHAPES, type InferenceResult } from './inference';

declare global {
  interface Window {
    __bench?: unknown;
  }
}

const q = new URLSearchParams(location.search);
const list = (k: string, d: string) => (q.get(k) ?? d).split(',').filter(Boolean);
const logEl = document.getElementById('log')!;
const log = (line: string) => {
  logEl.textContent += line + '\n';
  console.log(line);
};

async function main() {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const device = await requestTrainingDevice(navigator.gpu);
  // bench/run.ts checked the adapter it was offered; this is the one the device came from
  const refusal = q.get('requireGpu') === '1' ? requireGpuRefusal(adapterIdentity(device)) : null;
  if (refusal) {
    window.__bench = { failure: refusal, adapterInfo: adapterIdentity(device) };
    device.destroy();
    return;
  }
  const peers = list('peers', 'webgpu,wasm') as PeerBackend[];
  const report = await runBench(
    device,
    {
      workloads: list('workloads', 'S,M').map((w) => WORKLOADS[w]),
      strategies: list('strategies', 'full,regular,randomized') as StrategyName[],
      warmup: Number(q.get('warmup') ?? 2),
      steps: Number(q.get('steps') ?? 5),
      tfjs: peers.length ? { tf, layers, backends: peers, maxSeconds: Number(q.get('maxPeerSeconds') ?? 60) } : undefined,
      noSweep: q.get('noSweep') === '1',
      tuneVariants: q.get('tune') ? (list('tune', '') as MatmulVariant[]) : undefined,
      log,
    },
    `Chromium ${navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?'} (headless${q.get('flags') ? `, ${q.get('flags')}` : ''}), TF.js ${tf.version_core}`,
  );
  // inference (forward only) on the same device, after the training workloads
  const inference = q.get('inference') ?? 'LSTM';
  if (inference !== 'none') {
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/'; // served by Vite from the package
    ort.env.wasm.numThreads = 1; // as TF.js wasm here: the page is not cross-origin isolated
    ort.env.logLevel = 'error';
    (report as typeof report & { inference?: InferenceResult }).inference = await runInference(device, {
      shape: INFERENCE_SHAPES[inference],
      tfjs: peers.length ? { tf, layers, backends: peers } : undefined,
      ort: { ort, providers: ['wasm', 'webgpu'] },
      log,
    });
  }
  window.__bench = report;
}

main().catch((e) => {
  log(String(e?.stack ?? e));
  window.__bench = { failure: String(e?.stack ?? e) };
});
