// The model: a stack of `layers` recurrent cells (the chapter's Elman RNN,
// PyTorch's LSTM or GRU) and an output layer o_t = W_qh h_t(top) + b_q.
// The chapter's model is cell 'rnn' with one layer:
//   h_t = φ(W_hx x_t + W_hh h_{t-1} + b_h).
import { requireInt, requireOneOf, BpttError, show } from '../errors';
import type { Activation } from '../util/activation';
import type { LossKind } from '../kernels/loss';

export type { Activation, LossKind };
/** The activations φ the engine supports. */
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'identity', 'relu'];

/** The recurrent cells: the chapter's RNN (with φ), PyTorch's LSTM and GRU. */
export type CellKind = 'rnn' | 'lstm' | 'gru';
/** The cells the engine supports. */
export const CELLS: readonly CellKind[] = ['rnn', 'lstm', 'gru'];
/** Gates per cell: rows of weight_ih / weight_hh are G·H (LSTM i, f, g, o; GRU r, z, n). */
export const GATES: Readonly<Record<CellKind, number>> = { rnn: 1, lstm: 4, gru: 3 };
/** The most stacked layers a model may have. */
export const MAX_LAYERS = 8;

/** The model: cell, depth, input kind and size, H, output size, φ, biases, loss (shapes in params.ts). */
export interface RnnConfig {
  /** The recurrent cell (default 'rnn'). */
  cell?: CellKind;
  /** Stacked layers, 1 … MAX_LAYERS (default 1): layer l's input is layer l − 1's h. */
  layers?: number;
  /** 'tokens': x_t is a token id (one-hot over inputSize); 'dense': x_t ∈ R^inputSize. */
  input: 'tokens' | 'dense';
  /** V (vocabulary) for tokens, d for dense inputs. */
  inputSize: number;
  /** H. */
  hidden: number;
  /** Q. For a character language model Q = V. */
  outputSize: number;
  /**
   * φ of the 'rnn' cell. validateConfig takes it as optional (default
   * 'tanh', as PyTorch's nn.RNN); LSTM and GRU have their own
   * nonlinearities: there it is omitted or 'tanh', anything else is refused.
   */
  activation?: Activation;
  /** b_h and b_q on or off (the chapter's analysis: identity, no bias). */
  bias: boolean;
  /** 'softmax-xent' on token targets, 'mse' on dense targets. */
  loss: LossKind;
}

/** A checked config: every field present. */
export type ModelConfig = Required<RnnConfig>;

/** A character-level language model's config: tokens in, softmax over the same vocabulary out. */
export function charLmConfig(vocab: number, hidden: number, activation: Activation = 'tanh', bias = true, cell: CellKind = 'rnn', layers = 1): ModelConfig {
  return validateConfig({ cell, layers, input: 'tokens', inputSize: vocab, hidden, outputSize: vocab, activation, bias, loss: 'softmax-xent' });
}

/** True for the chapter's model (one 'rnn' layer), whose parameters keep the chapter's names W_hx, W_hh, b_h. */
export function isChapterModel(c: RnnConfig): boolean {
  return (c.cell ?? 'rnn') === 'rnn' && (c.layers ?? 1) === 1;
}

const MAX_DIM = 1 << 24;

/** Check every field (naming it in the error) and return a clean copy. */
export function validateConfig(c: unknown, field = 'config'): ModelConfig {
  if (typeof c !== 'object' || c === null) throw new BpttError(field, show(c), 'must be an object');
  const o = c as Record<string, unknown>;
  const cell = o.cell === undefined ? 'rnn' : requireOneOf(`${field}.cell`, o.cell, CELLS);
  const layers = o.layers === undefined ? 1 : requireInt(`${field}.layers`, o.layers, 1, MAX_LAYERS);
  const input = requireOneOf(`${field}.input`, o.input, ['tokens', 'dense'] as const);
  const inputSize = requireInt(`${field}.inputSize`, o.inputSize, 1, MAX_DIM);
  const hidden = requireInt(`${field}.hidden`, o.hidden, 1, MAX_DIM);
  const outputSize = requireInt(`${field}.outputSize`, o.outputSize, 1, MAX_DIM);
  const activation = o.activation === undefined ? 'tanh' : requireOneOf(`${field}.activation`, o.activation, ACTIVATIONS);
  if (cell !== 'rnn' && activation !== 'tanh') {
    throw new BpttError(`${field}.activation`, show(o.activation), `is not used by the ${cell} cell (its nonlinearities are fixed, as in PyTorch): omit it or give "tanh"`);
  }
  if (typeof o.bias !== 'boolean') throw new BpttError(`${field}.bias`, show(o.bias), 'must be true or false');
  const loss = requireOneOf(`${field}.loss`, o.loss, ['softmax-xent', 'mse'] as const);
  if (loss === 'softmax-xent' && outputSize < 2) throw new BpttError(`${field}.outputSize`, String(outputSize), 'softmax cross-entropy needs at least 2 classes');
  return { cell, layers, input, inputSize, hidden, outputSize, activation, bias: o.bias, loss };
}
