// A model as a user describes it, in Keras's words: the cell and its size,
// what goes in (dense features or token ids), what comes out (regression
// values with MSE, or classes with softmax cross-entropy), and whether the
// output is every step's (returnSequences: true, many-to-many) or each
// sequence's last real step's (false, many-to-one; Keras's default).
// modelConfig maps a spec onto the engine's ModelConfig.
import { validateConfig, type CellKind, type Activation, type ModelConfig } from '../model/config';
import { BpttError, requireInt, show } from '../errors';

/** What goes in at each step. */
export type InputSpec =
  /** x_t ∈ R^features. */
  | { features: number }
  /** x_t is a token id in [0, tokens). */
  | { tokens: number };

/** What comes out (per step, or at each sequence's last real step). */
export type OutputSpec =
  /** Q real values, mean squared error. */
  | { regression: number }
  /** C classes, softmax cross-entropy; accuracy is reported. */
  | { classes: number };

/** A model as a user describes it. */
export interface ModelSpec {
  /** 'rnn' (the chapter's, with `activation`), 'lstm' or 'gru' (default 'lstm'). */
  cell?: CellKind;
  /** Stacked layers (default 1). */
  layers?: number;
  /** Hidden units H per layer. */
  hidden: number;
  /** φ of an 'rnn' cell (default 'tanh'). */
  activation?: Activation;
  /** Biases on (default true). */
  bias?: boolean;
  input: InputSpec;
  output: OutputSpec;
  /** true: an output at every step; false (default): one per sequence, at its last real step. */
  returnSequences?: boolean;
}

/** A spec with every field present. */
export type CheckedSpec = Required<ModelSpec>;

/** Check a spec (naming the field at fault) and fill in the defaults. */
export function checkSpec(spec: unknown, field = 'spec'): CheckedSpec {
  if (typeof spec !== 'object' || spec === null) throw new BpttError(field, show(spec), 'must be an object');
  const s = spec as Record<string, unknown>;
  const input = s.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null || ('features' in input) === ('tokens' in input)) {
    throw new BpttError(`${field}.input`, show(input), 'must be { features: d } or { tokens: V }');
  }
  const output = s.output as Record<string, unknown> | undefined;
  if (typeof output !== 'object' || output === null || ('regression' in output) === ('classes' in output)) {
    throw new BpttError(`${field}.output`, show(output), 'must be { regression: Q } or { classes: C }');
  }
  const inputSpec: InputSpec = 'features' in input ? { features: requireInt(`${field}.input.features`, input.features, 1, 1 << 24) } : { tokens: requireInt(`${field}.input.tokens`, input.tokens, 1, 1 << 24) };
  const outputSpec: OutputSpec =
    'regression' in output ? { regression: requireInt(`${field}.output.regression`, output.regression, 1, 1 << 24) } : { classes: requireInt(`${field}.output.classes`, output.classes, 2, 1 << 24) };
  if (s.returnSequences !== undefined && typeof s.returnSequences !== 'boolean') throw new BpttError(`${field}.returnSequences`, show(s.returnSequences), 'must be true or false');
  if (s.bias !== undefined && typeof s.bias !== 'boolean') throw new BpttError(`${field}.bias`, show(s.bias), 'must be true or false');
  const checked: CheckedSpec = {
    cell: (s.cell ?? 'lstm') as CellKind,
    layers: (s.layers ?? 1) as number,
    hidden: s.hidden as number,
    activation: (s.activation ?? 'tanh') as Activation,
    bias: (s.bias ?? true) as boolean,
    input: inputSpec,
    output: outputSpec,
    returnSequences: (s.returnSequences ?? false) as boolean,
  };
  modelConfig(checked, field); // the engine's checks, with this spec's field names
  return checked;
}

/** The engine's config for a spec. */
export function modelConfig(s: CheckedSpec, field = 'spec'): ModelConfig {
  const dense = 'features' in s.input;
  const regression = 'regression' in s.output;
  return validateConfig(
    {
      cell: s.cell,
      layers: s.layers,
      input: dense ? 'dense' : 'tokens',
      inputSize: 'features' in s.input ? s.input.features : s.input.tokens,
      hidden: s.hidden,
      outputSize: 'regression' in s.output ? s.output.regression : s.output.classes,
      activation: s.activation,
      bias: s.bias,
      loss: regression ? 'mse' : 'softmax-xent',
    },
    field,
  );
}
