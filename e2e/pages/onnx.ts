// Runs in Chromium: each model of onnx-problem.ts is exported with the
// helper the demo's "Download ONNX" button uses (onnxDownload), run in ONNX
// Runtime Web (wasm backend, and WebGPU where it loads), and predicted by our
// forward pass on navigator.gpu; the Node side compares them.
import * as ort from 'onnxruntime-web';
import { requestTrainingDevice, describeAdapter, BpttEngine } from '../../src/index';
import { onnxDownload } from '../../src/interop/onnx';
import { onnxCases, type OnnxCase } from './onnx-problem';

declare global {
  interface Window {
    __result?: unknown;
  }
}

// the wasm files, served by Vite from the package (pre-bundling moves the JS away from them)
ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

async function ours(device: GPUDevice, c: OnnxCase): Promise<number[]> {
  const eng = new BpttEngine(device, { config: c.config, batch: c.B, steps: c.T, forwardOnly: true });
  try {
    eng.writeWeights(c.weights);
    eng.writeH0();
    eng.writeInputs({ tokens: c.tokens, x: c.x, lengths: c.lengths });
    const enc = device.createCommandEncoder();
    eng.encodeForwardOnly(enc);
    device.queue.submit([enc.finish()]);
    return Array.from(await eng.readOutputs());
  } finally {
    eng.destroy();
  }
}

async function runOrt(bytes: Uint8Array, c: OnnxCase, ep: 'wasm' | 'webgpu'): Promise<{ output: number[]; dims: number[]; logits?: number[] } | { error: string }> {
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep] });
    const feeds: Record<string, ort.Tensor> = c.tokens
      ? { tokens: new ort.Tensor('int64', BigInt64Array.from(c.tokens.map(BigInt)), [c.T, c.B]) }
      : { x: new ort.Tensor('float32', Float32Array.from(c.x!), [c.T, c.B, c.config.inputSize]) };
    if (c.lengths) feeds.lengths = new ort.Tensor('int32', Int32Array.from(c.lengths), [c.B]);
    const r = await session.run(feeds);
    const result = { output: Array.from(r.output.data as Float32Array), dims: [...r.output.dims], logits: r.logits ? Array.from(r.logits.data as Float32Array) : undefined };
    await session.release();
    return result;
  } catch (e) {
    return { error: String((e as Error)?.message ?? e).slice(0, 300) };
  }
}

async function run() {
  const device = await requestTrainingDevice(navigator.gpu);
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const cases = [];
  for (const c of onnxCases()) {
    const file = await onnxDownload(c.config, c.weights, c.returnSequences, { lengths: c.lengths !== undefined });
    cases.push({
      name: c.name,
      filename: file.filename,
      bytes: file.bytes.length,
      ours: await ours(device, c),
      wasm: await runOrt(file.bytes, c, 'wasm'),
      webgpu: await runOrt(file.bytes, c, 'webgpu'),
    });
  }
  window.__result = { adapter: describeAdapter(device), cases, errors };
  device.destroy();
  document.getElementById('status')!.textContent = 'done';
}

run().catch((e) => {
  window.__result = { failure: String((e as Error)?.stack ?? e) };
});
