// `webgpu-bptt sample CHECKPOINT`: generate text from a saved character
// model (CPU only; the checkpoint holds the weights and the vocabulary).
import { readFileSync } from 'node:fs';
import { BpttError } from '../errors';
import { loadCheckpoint } from '../model/checkpoint';
import { Vocab, preprocess as prep, type Preprocess } from '../data/text';
import { generate } from '../lm/charlm';
import { createRng } from '../util/rng';
import { num, str, type Args } from './args';

export const SAMPLE_FLAGS = ['prefix', 'length', 'temperature', 'seed', 'help'] as const;
export const SAMPLE_HELP = `Usage: webgpu-bptt sample CHECKPOINT.safetensors [--prefix TEXT] [--length 100] [--temperature 0] [--seed 0]

Generates text after the prefix from a checkpoint saved by 'webgpu-bptt train --save'.
temperature 0 is greedy (d2l's predict); above 0 samples softmax(o / temperature).`;

export function sample(args: Args): string {
  const file = args.positional[0];
  if (!file) throw new BpttError('CHECKPOINT', 'missing', 'usage: webgpu-bptt sample CHECKPOINT.safetensors');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    throw new BpttError('CHECKPOINT', file, 'cannot be read');
  }
  const ck = loadCheckpoint(bytes, undefined, file);
  if (!ck.vocab) throw new BpttError(`${file} metadata.vocab`, 'missing', 'sampling needs the vocabulary saved with the model');
  if (ck.config.input !== 'tokens') throw new BpttError(`${file} config.input`, ck.config.input, 'sampling needs a character (token) model');
  const vocab = new Vocab(ck.vocab);
  const mode = (ck.extra?.preprocess ?? 'd2l') as Preprocess;
  const prefix = prep(str(args, 'prefix', 'time traveller'), mode);
  const length = num(args, 'length', 100, { int: true, min: 1, max: 100_000 });
  const temperature = num(args, 'temperature', 0, { min: 0 });
  const seed = num(args, 'seed', 0, { int: true, min: 0 });
  const corpus = { text: '', vocab, ids: new Uint32Array(0) };
  return generate(ck.weights, corpus, ck.config.activation, prefix, length, temperature, createRng(seed));
}
