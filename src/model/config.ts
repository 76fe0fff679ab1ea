// The model: h_t = φ(W_hx x_t + W_hh h_{t-1} + b_h), o_t = W_qh h_t + b_q.
import { requireInt, requireOneOf, BpttError, show } from '../errors';
import type { Activation } from '../kernels/kernel';
import type { LossKind } from '../kernels/loss';

export type { Activation, LossKind };
/** The activations φ the engine supports. */
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'identity', 'relu'];

/** The model: input kind and size, H, output size, φ, biases, loss (shapes in params.ts). */
export interface RnnConfig {
  /** 'tokens': x_t is a token id (one-hot over inputSize); 'dense': x_t ∈ R^inputSize. */
  input: 'tokens' | 'dense';
  /** V (vocabulary) for tokens, d for dense inputs. */
  inputSize: number;
  /** H. */
  hidden: number;
  /** Q. For a character language model Q = V. */
  outputSize: number;
  activation: Activation;
  /** b_h and b_q on or off (the chapter's analysis: identity, no bias). */
  bias: boolean;
  /** 'softmax-xent' on token targets, 'mse' on dense targets. */
  loss: LossKind;
}

/** A character-level language model's config: tokens in, softmax over the same vocabulary out. */
export function charLmConfig(vocab: number, hidden: number, activation: Activation = 'tanh', bias = true): RnnConfig {
  return validateConfig({ input: 'tokens', inputSize: vocab, hidden, outputSize: vocab, activation, bias, loss: 'softmax-xent' });
}

const MAX_DIM = 1 << 24;

/** Check every field (naming it in the error) and return a clean copy. */
export function validateConfig(c: unknown, field = 'config'): RnnConfig {
  if (typeof c !== 'object' || c === null) throw new BpttError(field, show(c), 'must be an object');
  const o = c as Record<string, unknown>;
  const input = requireOneOf(`${field}.input`, o.input, ['tokens', 'dense'] as const);
  const inputSize = requireInt(`${field}.inputSize`, o.inputSize, 1, MAX_DIM);
  const hidden = requireInt(`${field}.hidden`, o.hidden, 1, MAX_DIM);
  const outputSize = requireInt(`${field}.outputSize`, o.outputSize, 1, MAX_DIM);
  const activation = requireOneOf(`${field}.activation`, o.activation, ACTIVATIONS);
  if (typeof o.bias !== 'boolean') throw new BpttError(`${field}.bias`, show(o.bias), 'must be true or false');
  const loss = requireOneOf(`${field}.loss`, o.loss, ['softmax-xent', 'mse'] as const);
  if (loss === 'softmax-xent' && outputSize < 2) throw new BpttError(`${field}.outputSize`, String(outputSize), 'softmax cross-entropy needs at least 2 classes');
  return { input, inputSize, hidden, outputSize, activation, bias: o.bias, loss };
}
