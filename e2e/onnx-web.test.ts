// The ONNX file the demo exports (onnxDownload, the "Download ONNX" helper)
// runs in ONNX Runtime Web in headless Chromium — the wasm backend, and the
// WebGPU backend where it loads — and gives the predictions our forward pass
// gives on navigator.gpu, to 1e-5 relative; ours are also checked against
// the float64 reference computed here in Node. (onnxruntime-web 1.31's
// WebGPU backend has no LSTM/GRU kernel: its verbose log places those nodes
// on the CPU (wasm) provider and OneHot/Squeeze/MatMul/Add on WebGPU.)
import { describe, it, expect } from 'vitest';
import { fileSession, pageResult, relErr } from './harness';
import { onnxCases } from './pages/onnx-problem';
import { referenceCells } from '../src/index';

const session = fileSession();

type Run = { output: number[]; dims: number[]; logits?: number[] } | { error: string };
interface Result {
  failure?: string;
  adapter: string;
  errors: string[];
  cases: { name: string; filename: string; bytes: number; ours: number[]; wasm: Run; webgpu: Run }[];
}

function softmaxRows(z: ArrayLike<number>, Q: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < z.length / Q; r++) {
    const row = Array.from({ length: Q }, (_, q) => z[r * Q + q]), m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    for (const v of row) out.push(Math.exp(v - m) / s);
  }
  return out;
}

/** A run's values against ours: a classifier's logits against our outputs and its `output` against their softmax. */
function runErr(run: { output: number[]; logits?: number[] }, ours: number[], Q: number, classes: boolean): number {
  if (!classes) return relErr(run.output, ours);
  return Math.max(relErr(run.logits ?? [], ours), relErr(run.output, softmaxRows(ours, Q)));
}

describe('ONNX Runtime Web in headless Chromium', () => {
  it('runs the exported files (wasm; WebGPU where it loads) with our predictions', async () => {
    const { r, errors } = await pageResult<Result>(session(), '/e2e/pages/onnx.html', 240_000);
    expect(r.failure, r.failure).toBeUndefined();
    console.log(`browser adapter: ${r.adapter}`);
    expect(r.errors, r.errors.join('\n')).toEqual([]);
    const cases = onnxCases();
    for (const [i, c] of cases.entries()) {
      const got = r.cases[i];
      const { B, T } = c, Q = c.config.outputSize;
      // our predictions in the head's layout: every step (T, B, Q), or each sequence's last real step (B, Q)
      const pick = (O: ArrayLike<number>) =>
        c.returnSequences ? Array.from(O) : Array.from({ length: B * Q }, (_, k) => O[((((c.lengths?.[Math.floor(k / Q)] ?? T) - 1) * B) + Math.floor(k / Q)) * Q + (k % Q)]);
      const ours = pick(got.ours);
      // ours against the float64 reference, one sequence at a time over its real steps
      const ref = new Float64Array(T * B * Q);
      for (let b = 0; b < B; b++) {
        const len = c.lengths?.[b] ?? T;
        const seq = referenceCells(c.config, c.weights, {
          B: 1, T: len,
          tokens: c.tokens ? Array.from({ length: len }, (_, t) => c.tokens![t * B + b]) : undefined,
          x: c.x ? Array.from({ length: len * c.config.inputSize }, (_, k) => c.x![(Math.floor(k / c.config.inputSize) * B + b) * c.config.inputSize + (k % c.config.inputSize)]) : undefined,
          targets: new Uint32Array(len), y: new Float64Array(len * Q),
        }).o;
        for (let t = 0; t < len; t++) ref.set(seq.subarray(t * Q, (t + 1) * Q), (t * B + b) * Q);
      }
      const eRef = relErr(ours, pick(ref));
      expect(eRef, `${c.name}: ours vs float64`).toBeLessThan(1e-5);
      const line = [`chromium onnx ${c.name} (${got.filename}, ${got.bytes} bytes): ours vs float64 ${eRef.toExponential(1)}`];
      expect('error' in got.wasm ? got.wasm.error : undefined, 'wasm backend').toBeUndefined();
      const wasm = got.wasm as { output: number[]; dims: number[]; logits?: number[] };
      const classes = c.config.loss === 'softmax-xent';
      expect(wasm.dims).toEqual(c.returnSequences ? [T, B, Q] : [B, Q]);
      const eWasm = runErr(wasm, ours, Q, classes);
      line.push(`wasm ${eWasm.toExponential(1)}`);
      expect(eWasm, `${c.name}: wasm`).toBeLessThan(1e-5);
      if ('error' in got.webgpu) line.push(`webgpu did not load: ${got.webgpu.error}`);
      else {
        const eGpu = runErr(got.webgpu, ours, Q, classes);
        line.push(`webgpu ${eGpu.toExponential(1)}`);
        expect(eGpu, `${c.name}: webgpu`).toBeLessThan(1e-5);
      }
      console.log(line.join(', '));
    }
    expect(errors.filter((e) => !/onnxruntime|\[W:/.test(e))).toEqual([]);
  }, 300_000);
});
