// The TF.js peer for inference: the model as a TF.js user writes it,
// tf.layers.lstm (returnSequences, sigmoid gates as PyTorch's and ours:
// TF.js's default recurrentActivation is hardSigmoid) and tf.layers.dense
// with a softmax, our weights loaded with setWeights in Keras's layouts
// (kernel [V, 4H], recurrent kernel [H, 4H], one bias b_ih + b_hh, gate order
// i, f, c, o = PyTorch's i, f, g, o). predict: model.predict on a (B, T, V)
// one-hot batch; stream: the same layers built stateful for (B, 1, V), one
// model.predict per step, resetStates between passes. The one-hot arrays
// are built once in plain JS (see tfjs-step.ts for why not tf.oneHot); each
// call uploads its tensor and reads the probabilities back.
import type * as tfType from '@tensorflow/tfjs-core';
import type * as tflType from '@tensorflow/tfjs-layers';
import { layerNames } from '../src/model/params';
import { checkSpec, modelConfig } from '../src/api/spec';
import type { InferenceImpl, InferenceModel } from './inference';

/** (rows, cols) row-major → (cols, rows). */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** predict and stream through TF.js layers models on the current backend, with `m`'s weights. */
export function tfjsInference(tf: typeof tfType, tfl: typeof tflType, m: InferenceModel): InferenceImpl {
  const { V, H, B, T } = m.shape, Q = V;
  const n = layerNames(modelConfig(checkSpec(m.spec)), 0);
  const w = m.weights;
  const bias = Float32Array.from(w[n.b_ih!], (v, i) => v + w[n.b_hh!][i]);
  const build = (stateful: boolean) => {
    const model = tfl.sequential({
      layers: [
        // zero initializers: setWeights replaces them (TF.js's default orthogonal one takes seconds at 256 × 1024)
        tfl.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', stateful, batchInputShape: [B, stateful ? 1 : T, V], kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }),
        tfl.layers.dense({ units: Q, activation: 'softmax', kernelInitializer: 'zeros' }),
      ],
    });
    const weights = [
      tf.tensor2d(transpose(w[n.W_ih], 4 * H, V), [V, 4 * H]),
      tf.tensor2d(transpose(w[n.W_hh], 4 * H, H), [H, 4 * H]),
      tf.tensor1d(bias),
      tf.tensor2d(transpose(w.W_qh, Q, H), [H, Q]),
      tf.tensor1d(w.b_q),
    ];
    model.layers[0].setWeights(weights.slice(0, 3));
    model.layers[1].setWeights(weights.slice(3));
    for (const t of weights) t.dispose();
    return model;
  };
  const oneHot = (count: number, id: (i: number) => number) => {
    const a = new Float32Array(count * V);
    for (let i = 0; i < count; i++) a[i * V + id(i)] = 1;
    return a;
  };
  const batch = oneHot(B * T, (i) => m.ids[i]); // (B, T, V): ids are batch-major
  const run = async (model: tflType.Sequential, x: Float32Array, steps: number) => {
    const input = tf.tensor3d(x, [B, steps, V]);
    const y = model.predict(input, { batchSize: B }) as tfType.Tensor;
    try {
      return (await y.data()) as Float32Array;
    } finally {
      input.dispose();
      y.dispose();
    }
  };
  const model = build(false);
  return {
    predict: () => run(model, batch, T),
    async stream() {
      const stepModel = build(true);
      const steps = Array.from({ length: T }, (_, t) => oneHot(B, (b) => m.ids[b * T + t]));
      return { reset: () => stepModel.resetStates(), step: (t: number) => run(stepModel, steps[t], 1), dispose: () => stepModel.dispose() };
    },
    dispose: () => void model.dispose(),
  };
}
