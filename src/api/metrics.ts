// Loss and accuracy from a forward pass's outputs, in float64 on the CPU,
// with the training loss's definition: the mean over the counted positions
// (every real step with returnSequences, else each sequence's last real
// step) of PyTorch's per-position loss — MSE averaged over the Q values,
// or softmax cross-entropy. Accuracy: argmax = class id.

/** A running sum of losses and correct predictions over positions. */
export class MetricSum {
  loss = 0;
  correct = 0;
  positions = 0;

  /** Add one position: outputs o[at .. at + Q) against a regression target or a class id. */
  add(o: ArrayLike<number>, at: number, Q: number, target: ArrayLike<number>, tAt: number, classes: boolean): void {
    this.positions += 1;
    if (!classes) {
      let s = 0;
      for (let j = 0; j < Q; j++) {
        const e = o[at + j] - target[tAt + j];
        s += e * e;
      }
      this.loss += s / Q;
      return;
    }
    let m = -Infinity, arg = 0;
    for (let j = 0; j < Q; j++) if (o[at + j] > m) (m = o[at + j]), (arg = j);
    let z = 0;
    for (let j = 0; j < Q; j++) z += Math.exp(o[at + j] - m);
    const y = target[tAt];
    this.loss += m + Math.log(z) - o[at + y];
    if (arg === y) this.correct += 1;
  }

  /** { loss, accuracy? } over the positions added so far. */
  result(classes: boolean): { loss: number; accuracy?: number } {
    const loss = this.loss / this.positions;
    return classes ? { loss, accuracy: this.correct / this.positions } : { loss };
  }
}

/** Softmax of o[at .. at + Q) into out[to ..), in float64. */
export function softmaxInto(o: ArrayLike<number>, at: number, Q: number, out: Float32Array, to: number): void {
  let m = -Infinity;
  for (let j = 0; j < Q; j++) m = Math.max(m, o[at + j]);
  let z = 0;
  for (let j = 0; j < Q; j++) z += Math.exp(o[at + j] - m);
  for (let j = 0; j < Q; j++) out[to + j] = Math.exp(o[at + j] - m) / z;
}
