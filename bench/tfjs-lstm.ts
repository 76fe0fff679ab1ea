// The LSTM peer: the workload's LSTM written the way a TensorFlow.js user
// would, with tf.layers.lstm (returnSequences) and tf.layers.dense over its
// outputs, softmax cross-entropy, gradients from tf.variableGrads, global-norm
// clipping and SGD — the same step as ours (full BPTT over the window).
// One-hot inputs are built in plain JS (see tfjs-step.ts). The gates use the
// logistic sigmoid, as ours and PyTorch's do (TF.js defaults to hardSigmoid,
// a different LSTM).
import type * as tfType from '@tensorflow/tfjs-core';
import type * as tflType from '@tensorflow/tfjs-layers';
import type { Workload } from './workloads';
import { clipSgd, type TfjsStep } from './tfjs-step';
import { createRng } from '../src/util/rng';

export function createTfjsLstmStep(tf: typeof tfType, tfl: typeof tflType, w: Workload, seed = 1): TfjsStep {
  const { V, H, B, T } = w;
  const rng = createRng(seed);
  const k = 1 / Math.sqrt(H);
  // PyTorch's U(±1/√H) for every weight, as our engine starts
  const uniform = () => tfl.initializers.randomUniform({ minval: -k, maxval: k, seed: Math.floor(rng.next() * 1e9) });
  const lstm = tfl.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', kernelInitializer: uniform(), recurrentInitializer: uniform(), biasInitializer: uniform() });
  const dense = tfl.layers.dense({ units: V, kernelInitializer: uniform(), biasInitializer: uniform() });
  // batch-major one-hot inputs and targets: (B, T, V)
  const oneHot = () => {
    const a = new Float32Array(B * T * V);
    for (let i = 0; i < B * T; i++) a[i * V + rng.int(V)] = 1;
    return tf.tensor3d(a, [B, T, V]);
  };
  const x = oneHot(), y = oneHot();
  const forward = () => dense.apply(lstm.apply(x) as tfType.Tensor3D) as tfType.Tensor3D;
  tf.tidy(() => void forward()); // builds the layers' weights
  const vars = [...lstm.trainableWeights, ...dense.trainableWeights].map((v) => v.read() as tfType.Variable);
  const byName = new Map(vars.map((v) => [v.name, v]));
  const lr = 1, clip = 1;
  return {
    async step() {
      const lossValue = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const o = tf.reshape(forward(), [B * T, V]);
          return tf.div(tf.losses.softmaxCrossEntropy(tf.reshape(y, [B * T, V]), o, undefined, undefined, tf.Reduction.SUM), B * T) as tfType.Scalar;
        }, vars);
        clipSgd(tf, grads, (name) => byName.get(name)!, lr, clip);
        return tf.keep(value);
      });
      const loss = (await lossValue.data())[0];
      lossValue.dispose();
      return loss;
    },
    memoryBytes: () => tf.memory().numBytes,
    dispose() {
      lstm.dispose();
      dense.dispose();
      x.dispose();
      y.dispose();
    },
  };
}
