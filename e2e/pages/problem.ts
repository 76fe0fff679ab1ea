// The fixed problem the browser and Node both build from the same seeds.
import { charLmConfig, initWeights, createRng } from '../../src/index';

export function problem() {
  const config = charLmConfig(11, 20, 'tanh', true);
  const B = 3, T = 6;
  const weights = initWeights(config, createRng(17));
  const rng = createRng(18);
  const batch = {
    tokens: Array.from({ length: B * T }, () => rng.int(11)),
    targets: Array.from({ length: B * T }, () => rng.int(11)),
  };
  const h0 = Array.from({ length: B * 20 }, (_, i) => 0.3 * Math.cos(i));
  return { config, weights, batch, B, T, h0 };
}
