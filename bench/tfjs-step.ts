// The peer: the same training step written the way a TensorFlow.js user
// would, as per-op kernels (matMul, tanh, softmax cross-entropy per step),
// gradients from tf.variableGrads, global-norm clipping and SGD.
// One-hot inputs are built in plain JS: TF.js 4.22's webgpu backend was seen
// to miscompile tf.oneHot(...).toFloat() followed by a transpose.
import type * as tfType from '@tensorflow/tfjs-core';
import type { Workload } from './workloads';
import { createRng } from '../src/util/rng';

export interface TfjsStep {
  /** One step; resolves with the loss once it is on the CPU. */
  step(): Promise<number>;
  memoryBytes(): number;
  dispose(): void;
}

/** Global-norm clipping at `clip`, then SGD with rate `lr` (inside the caller's tidy). */
export function clipSgd(tf: typeof tfType, grads: tfType.NamedTensorMap, variable: (name: string) => tfType.Variable, lr: number, clip: number): void {
  const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(clip), norm));
  for (const [name, g] of Object.entries(grads)) {
    const v = variable(name);
    v.assign(tf.sub(v, tf.mul(tf.mul(scale, g), lr)));
  }
}

export function createTfjsStep(tf: typeof tfType, w: Workload, seed = 1): TfjsStep {
  const { V, H, B, T } = w;
  const rng = createRng(seed);
  const k = 1 / Math.sqrt(H);
  const id = Math.random().toString(36).slice(2);
  const init = (name: string, r: number, c: number) =>
    tf.variable(tf.tensor2d(Float32Array.from({ length: r * c }, () => (2 * rng.next() - 1) * k), [r, c]), true, `${name}_${id}`);
  // Stored transposed for x·W forms: W_hxᵀ (V, H), W_hhᵀ (H, H), W_qhᵀ (H, V)
  const vars = { W_hx: init('W_hx', V, H), W_hh: init('W_hh', H, H), W_qh: init('W_qh', H, V), b_h: init('b_h', 1, H), b_q: init('b_q', 1, V) };
  const byName = new Map(Object.values(vars).map((v) => [v.name, v]));
  const tokens = Array.from({ length: T * B }, () => rng.int(V));
  const targets = Array.from({ length: T * B }, () => rng.int(V));
  const oneHot = (ids: number[], t: number) => {
    const a = new Float32Array(B * V);
    for (let b = 0; b < B; b++) a[b * V + ids[t * B + b]] = 1;
    return tf.tensor2d(a, [B, V]);
  };
  const xs = Array.from({ length: T }, (_, t) => oneHot(tokens, t));
  const ys = Array.from({ length: T }, (_, t) => oneHot(targets, t));
  const lr = 1, clip = 1;
  return {
    async step() {
      const lossValue = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          let h = tf.zeros([B, H]) as tfType.Tensor2D;
          let total = tf.scalar(0);
          for (let t = 0; t < T; t++) {
            h = tf.tanh(tf.add(tf.add(tf.matMul(xs[t], vars.W_hx), tf.matMul(h, vars.W_hh)), vars.b_h)) as tfType.Tensor2D;
            const o = tf.add(tf.matMul(h, vars.W_qh), vars.b_q);
            total = tf.add(total, tf.losses.softmaxCrossEntropy(ys[t], o, undefined, undefined, tf.Reduction.SUM));
          }
          return tf.div(total, B * T) as tfType.Scalar;
        });
        clipSgd(tf, grads, (name) => byName.get(name)!, lr, clip);
        return tf.keep(value);
      });
      const loss = (await lossValue.data())[0];
      lossValue.dispose();
      return loss;
    },
    memoryBytes: () => tf.memory().numBytes,
    dispose() {
      for (const v of Object.values(vars)) v.dispose();
      for (const t of [...xs, ...ys]) t.dispose();
    },
  };
}
