// `webgpu-bptt sample CHECKPOINT`: generate text from a saved character
// model of any cell and depth, on the WebGPU device (the checkpoint holds
// the weights, the config and the vocabulary).
import { readRegularFile } from './files';
import { BpttError } from '../errors';
import { loadCheckpoint } from '../model/checkpoint';
import { Vocab, preprocess as prep, type Preprocess } from '../data/text';
import { generateText } from '../lm/generate';
import { DRIVER_OPTION } from './driver-option';
import { createRng } from '../util/rng';
import { num, str, type Args, type CommandSpec } from './args';

/** The largest checkpoint `sample` reads. */
export const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

/** `webgpu-bptt sample`: its options (the help is generated from this table). */
export const SAMPLE: CommandSpec = {
  name: 'sample',
  positionals: [{ name: 'CHECKPOINT.safetensors', required: true }],
  description: "Generates text after the prefix from a checkpoint saved by 'webgpu-bptt train --save' (any cell and depth, on the WebGPU device).",
  options: {
    prefix: { type: 'string', value: 'TEXT', default: 'time traveller', help: 'text to warm the state up on (preprocessed as in training)' },
    length: { type: 'string', value: 'N', default: '100', help: 'characters to generate (1 to 100000)' },
    temperature: { type: 'string', value: 'X', default: '0', help: '0 is greedy (d2l\'s predict); above 0 samples softmax(o / X)' },
    seed: { type: 'string', value: 'N', default: '0', help: 'seed of the sampling' },
    driver: DRIVER_OPTION,
  },
};

/** The checkpoint and generation settings of a `sample` command line, checked before any GPU work. */
export function prepareSample(args: Args) {
  const file = args.positional[0];
  if (!file) throw new BpttError('CHECKPOINT.safetensors', 'missing', 'usage: webgpu-bptt sample CHECKPOINT.safetensors');
  const bytes = readRegularFile('CHECKPOINT.safetensors', file, MAX_CHECKPOINT_BYTES, 'a checkpoint saved by train --save');
  const ck = loadCheckpoint(bytes, undefined, file);
  if (!ck.vocab) throw new BpttError(`${file} metadata.vocab`, 'missing', 'sampling needs the vocabulary saved with the model');
  if (ck.config.input !== 'tokens') throw new BpttError(`${file} config.input`, ck.config.input, 'sampling needs a character (token) model');
  const vocab = new Vocab(ck.vocab);
  const mode = (ck.extra?.preprocess ?? 'd2l') as Preprocess;
  const prefix = prep(str(args, 'prefix', 'time traveller'), mode);
  const length = num(args, 'length', 100, { int: true, min: 1, max: 100_000 });
  const temperature = num(args, 'temperature', 0, { min: 0 });
  const seed = num(args, 'seed', 0, { int: true, min: 0 });
  return { ck, vocab, prefix, length, temperature, seed };
}

/** The text generated on `device` from a prepared `sample` command line. */
export function sample(device: GPUDevice, p: ReturnType<typeof prepareSample>): Promise<string> {
  return generateText(device, p.ck.config, p.ck.weights, p.vocab, p.prefix, p.length, p.temperature, createRng(p.seed));
}
