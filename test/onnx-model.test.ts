// A Model (createModel) exported as it stands — exportOnnx(model) reads its
// spec and current weights — runs in ONNX Runtime with model.predict's
// outputs to 1e-5 relative: class probabilities at each sequence's last real
// step, regression values at every real step, ragged sequences fed to ONNX
// Runtime as sequence_lens.
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-web';
import { gpu, relErr } from './gpu';
import { createModel } from '../src/api/model';
import type { ModelSpec } from '../src/api/spec';
import { exportOnnx } from '../src/interop/onnx';
import { createRng } from '../src/util/rng';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** Ragged rows → time-major padded (T, B[, d]) and their lengths. */
function timeMajor(rows: (number | number[])[][], width: number) {
  const B = rows.length, T = Math.max(...rows.map((r) => r.length));
  const data = new Float64Array(T * B * width);
  rows.forEach((r, b) => r.forEach((v, t) => data.set(typeof v === 'number' ? [v] : v, (t * B + b) * width)));
  return { B, T, data, lengths: rows.map((r) => r.length) };
}

const cases: [string, ModelSpec, boolean][] = [
  ['lstm × 2, tokens, classes, last step, ragged', { cell: 'lstm', layers: 2, hidden: 6, input: { tokens: 5 }, output: { classes: 4 } }, true],
  ['gru, dense, regression, every step, ragged', { cell: 'gru', hidden: 5, input: { features: 3 }, output: { regression: 2 }, returnSequences: true }, true],
  ['rnn × 3, dense, regression, last step, one length', { cell: 'rnn', layers: 3, hidden: 4, input: { features: 2 }, output: { regression: 3 } }, false],
];

describe('exportOnnx(model) in ONNX Runtime matches model.predict', () => {
  for (const [name, spec, ragged] of cases) {
    it(name, async () => {
      const device = await gpu();
      const model = createModel(device, spec, { seed: 5 });
      try {
        const rng = createRng(9);
        const tokens = 'tokens' in spec.input, V = tokens ? (spec.input as { tokens: number }).tokens : 0;
        const d = tokens ? 1 : (spec.input as { features: number }).features;
        const lens = ragged ? [5, 2, 4] : [4, 4, 4];
        const rows = lens.map((n) => Array.from({ length: n }, () => (tokens ? rng.int(V) : Array.from({ length: d }, () => rng.normal()))));
        const predicted = await model.predict(rows);
        const { B, T, data, lengths } = timeMajor(rows, d);
        const session = await ort.InferenceSession.create(await exportOnnx(model, { lengths: ragged }));
        const feeds: Record<string, ort.Tensor> = tokens
          ? { tokens: new ort.Tensor('int64', BigInt64Array.from(Array.from(data, (v) => BigInt(v))), [T, B]) }
          : { x: new ort.Tensor('float32', Float32Array.from(data), [T, B, d]) };
        if (ragged) feeds.lengths = new ort.Tensor('int32', Int32Array.from(lengths), [B]);
        const out = (await session.run(feeds)).output;
        await session.release();
        const Q = predicted.shape[predicted.shape.length - 1];
        let theirs: number[], ours: number[];
        if (spec.returnSequences) {
          // predict: [N][T][Q] batch-major, zeros after each length; ONNX: (T, B, Q); real steps only
          theirs = [];
          ours = [];
          for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) for (let q = 0; q < Q; q++) {
            theirs.push((out.data as Float32Array)[(t * B + b) * Q + q]);
            ours.push(predicted.data[(b * T + t) * Q + q]);
          }
        } else {
          expect(out.dims).toEqual(predicted.shape);
          theirs = Array.from(out.data as Float32Array);
          ours = Array.from(predicted.data);
        }
        const err = relErr(theirs, ours);
        console.log(`onnx vs model.predict, ${name}: ${err.toExponential(1)} over ${ours.length} values`);
        expect(err).toBeLessThan(1e-5);
      } finally {
        model.destroy();
      }
    });
  }
});
