// The float64 reference against centred finite differences of its own loss.
import { describe, it, expect } from 'vitest';
import { validateConfig, type RnnConfig } from '../src/model/config';
import { initWeights, paramShapes, type Weights } from '../src/model/params';
import { createRng } from '../src/util/rng';
import { referenceForwardBackward, referenceLoss, toFloat64, type Batch } from '../src/reference/rnn64';
import { makeBatch } from './fixtures';

/** Centred differences for every parameter; returns max relative error over all tensors. */
function fdCheck(c: RnnConfig, w: Weights<Float64Array>, batch: Batch, h0?: number[]) {
  const { grads } = referenceForwardBackward(c, w, batch, { h0 });
  const eps = 1e-6;
  let worst = 0;
  for (const [name] of paramShapes(c)) {
    const t = w[name]!, g = grads[name]!;
    let num = 0, den = 0;
    for (let i = 0; i < t.length; i++) {
      const keep = t[i];
      t[i] = keep + eps;
      const lp = referenceLoss(c, w, batch, { h0 });
      t[i] = keep - eps;
      const lm = referenceLoss(c, w, batch, { h0 });
      t[i] = keep;
      const fd = (lp - lm) / (2 * eps);
      num = Math.max(num, Math.abs(fd - g[i]));
      den = Math.max(den, Math.abs(g[i]));
    }
    worst = Math.max(worst, num / den);
  }
  return worst;
}

describe('float64 reference vs centred finite differences', () => {
  const cases: [string, Partial<RnnConfig>, number, number][] = [
    ['tokens tanh bias', { input: 'tokens', inputSize: 5, hidden: 6, outputSize: 5, activation: 'tanh', bias: true, loss: 'softmax-xent' }, 2, 5],
    ['tokens identity no bias (the chapter)', { input: 'tokens', inputSize: 4, hidden: 5, outputSize: 4, activation: 'identity', bias: false, loss: 'softmax-xent' }, 3, 4],
    ['tokens relu bias', { input: 'tokens', inputSize: 6, hidden: 7, outputSize: 6, activation: 'relu', bias: true, loss: 'softmax-xent' }, 2, 4],
    ['dense tanh mse', { input: 'dense', inputSize: 3, hidden: 5, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' }, 2, 6],
    ['dense identity xent', { input: 'dense', inputSize: 3, hidden: 4, outputSize: 3, activation: 'identity', bias: false, loss: 'softmax-xent' }, 1, 3],
  ];
  for (const [name, partial, B, T] of cases) {
    it(name, () => {
      const c = validateConfig(partial);
      const w = toFloat64(c, initWeights(c, createRng(11)));
      const rng = createRng(5);
      const h0 = Array.from({ length: B * c.hidden }, () => 0.5 * rng.normal());
      const err = fdCheck(c, w, makeBatch(c, B, T, 7), h0);
      console.log(`${name}: max rel error vs finite differences ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-6);
    });
  }
});
