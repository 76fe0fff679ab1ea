// Small random problems shared by the tests.
import { validateConfig, type RnnConfig } from '../src/model/config';
import { createRng } from '../src/util/rng';
import type { Batch } from '../src/reference/rnn64';

export function makeConfig(p: Partial<RnnConfig>): RnnConfig {
  return validateConfig({ input: 'tokens', inputSize: 7, hidden: 9, outputSize: 7, activation: 'tanh', bias: true, loss: 'softmax-xent', ...p });
}

/** A random time-major batch for `c` (tokens/targets or x/y). */
export function makeBatch(c: RnnConfig, B: number, T: number, seed: number): Batch {
  const rng = createRng(seed);
  const R = B * T;
  const b: Batch = { B, T };
  if (c.input === 'tokens') b.tokens = Array.from({ length: R }, () => rng.int(c.inputSize));
  else b.x = Array.from({ length: R * c.inputSize }, () => rng.normal());
  if (c.loss === 'softmax-xent') b.targets = Array.from({ length: R }, () => rng.int(c.outputSize));
  else b.y = Array.from({ length: R * c.outputSize }, () => rng.normal());
  return b;
}
