// The models the ONNX page exports and runs, built from fixed seeds in the
// browser and in Node alike: an LSTM × 2 on tokens with sequence lengths and
// a last-step head, and a GRU on dense inputs with an output at every step.
import { validateConfig, initWeights, createRng, type ModelConfig, type Weights } from '../../src/index';

export interface OnnxCase {
  name: string;
  config: ModelConfig;
  weights: Weights;
  returnSequences: boolean;
  B: number;
  T: number;
  tokens?: number[];
  x?: number[];
  lengths?: number[];
}

export function onnxCases(): OnnxCase[] {
  const B = 3, T = 5;
  const lstm = validateConfig({ cell: 'lstm', layers: 2, input: 'tokens', inputSize: 7, hidden: 6, outputSize: 7, activation: 'tanh', bias: true, loss: 'softmax-xent' });
  const gru = validateConfig({ cell: 'gru', layers: 1, input: 'dense', inputSize: 3, hidden: 5, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' });
  const rng = createRng(31);
  return [
    { name: 'lstm × 2, tokens, lengths, last step', config: lstm, weights: initWeights(lstm, createRng(32)), returnSequences: false, B, T, tokens: Array.from({ length: T * B }, () => rng.int(7)), lengths: [5, 2, 4] },
    { name: 'gru, dense, every step', config: gru, weights: initWeights(gru, createRng(33)), returnSequences: true, B, T, x: Array.from({ length: T * B * 3 }, () => rng.normal()) },
  ];
}
