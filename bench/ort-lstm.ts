// The ONNX Runtime Web peer for inference: our exportOnnx file of the same
// weights (OneHot → LSTM → MatMul + Add → Softmax, time-major), run by
// InferenceSession on one execution provider. predict: one run on the
// (T, B) token ids; stream: the file exported with state inputs (h0, c0)
// and outputs (h_n, c_n), one run per step on (1, B) ids, the state fed
// back. Inputs are built once; each run's outputs are read on the CPU.
import type * as ortType from 'onnxruntime-web';
import { exportOnnx } from '../src/interop/onnx';
import type { InferenceImpl, InferenceModel } from './inference';

const sameValues = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** ONNX Runtime Web's execution providers the bench tries. */
export type OrtProvider = 'wasm' | 'webgpu';

/** A session per file on `ep`; rejects when the provider does not load. `note` says where the LSTM node runs when that is known. */
export async function ortInference(ort: typeof ortType, m: InferenceModel, ep: OrtProvider): Promise<InferenceImpl & { note?: string }> {
  const { B, T, H } = m.shape;
  const source = { spec: m.spec, weights: m.weights };
  const [whole, stepwise] = await Promise.all([exportOnnx(source), exportOnnx(source, { state: true })]);
  const open = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const session = await open(whole);
  const int64 = (ids: ArrayLike<number>, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, (v) => BigInt(v))), dims);
  // (T, B) time-major from the batch-major ids
  const tokens = int64(Array.from({ length: T * B }, (_, i) => m.ids[(i % B) * T + Math.floor(i / B)]), [T, B]);
  return {
    timeMajor: true,
    // onnxruntime-web 1.31's verbose log (logSeverityLevel 0) places these two nodes on the CPU provider
    note: ep === 'webgpu' ? 'no WebGPU kernel for LSTM or OneHot in onnxruntime-web 1.31: both run on its CPU (wasm) provider' : undefined,
    async predict() {
      const r = await session.run({ tokens });
      return (await r.output.getData()) as Float32Array;
    },
    async stream() {
      const s = await open(stepwise);
      const steps = Array.from({ length: T }, (_, t) => int64(Array.from({ length: B }, (_, b) => m.ids[b * T + t]), [1, B]));
      const zeros = () => new ort.Tensor('float32', new Float32Array(B * H), [1, B, H]);
      let h: ortType.Tensor = zeros(), c: ortType.Tensor = zeros();
      let cIsH = false, looked = false;
      return {
        reset() {
          h = zeros();
          c = zeros();
        },
        async step(t: number) {
          const r = await s.run({ tokens: steps[t], h0: h, c0: c });
          h = r.h_n;
          c = r.c_n;
          // on the first (untimed) call: c_t = f·c + i·g and h_t = o·tanh(c_t) are never equal as a whole, so equal arrays mean a wrong c_n
          if (!looked) {
            looked = true;
            cIsH = sameValues((await h.getData()) as Float32Array, (await c.getData()) as Float32Array);
          }
          return (await r.output.getData()) as Float32Array;
        },
        diagnose: () => (cIsH ? 'its c_n output equals its h_n output, value for value: the cell state it hands back is wrong, so every step after the first is' : undefined),
        dispose: () => void s.release(),
      };
    },
    dispose: () => void session.release(),
  };
}
