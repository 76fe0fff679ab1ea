// `webgpu-bptt export CHECKPOINT.safetensors MODEL.onnx`: a saved model (any
// cell, depth and input) as an ONNX file that ONNX Runtime runs (opset 17;
// src/interop/onnx.ts). No GPU needed.
import { writeFileSync } from 'node:fs';
import { readRegularFile } from './files';
import { MAX_CHECKPOINT_BYTES } from './sample';
import { BpttError, show } from '../errors';
import { loadCheckpoint, type CheckpointData } from '../model/checkpoint';
import { validateConfig } from '../model/config';
import { exportOnnx, ONNX_OPSET } from '../interop/onnx';
import { choice, type Args, type CommandSpec } from './args';

/** `webgpu-bptt export`: its options (the help is generated from this table). */
export const EXPORT: CommandSpec = {
  name: 'export',
  positionals: [
    { name: 'CHECKPOINT.safetensors', required: true },
    { name: 'MODEL.onnx', required: true },
  ],
  description: `Writes the model of a checkpoint as ONNX (opset ${ONNX_OPSET}: RNN / LSTM / GRU operators, OneHot for
token inputs). Inputs: x float [T, B, d] or tokens int64 [T, B] (and lengths int32 [B] with
--lengths); output: float [T, B, Q] (every step) or [B, Q] (last step): class probabilities
(with a second output, logits) for a classifier, as Model.predict gives them; else the regression values.`,
  options: {
    head: {
      type: 'string',
      value: 'every-step|last-step',
      help: "the output at every step or at each sequence's last (real) step;\ndefault: a Model file's spec (returnSequences), else every-step (train --save)",
    },
    lengths: { type: 'boolean', help: 'add an int32 input `lengths` [B] (sequence_lens of every layer)' },
    state: { type: 'boolean', help: 'add inputs h0 (c0) [L, B, H] and outputs h_n (c_n): the state in and out' },
  },
};

/** The head a checkpoint was trained with, when its metadata says (returnSequences, or a Model file's spec). */
export function savedHead(ck: CheckpointData, file: string): boolean | undefined {
  const e = ck.extra ?? {};
  if (e.returnSequences !== undefined) {
    if (e.returnSequences !== 'true' && e.returnSequences !== 'false') throw new BpttError(`${file} metadata.returnSequences`, show(e.returnSequences), 'must be "true" or "false"');
    return e.returnSequences === 'true';
  }
  // a Model's file (src/api/format.ts) keeps its spec as model_spec
  for (const key of ['model_spec', 'spec'] as const) {
    const text = e[key];
    if (text === undefined) continue;
    let rs: unknown;
    try {
      rs = (JSON.parse(text) as { returnSequences?: unknown })?.returnSequences;
    } catch {
      throw new BpttError(`${file} metadata.${key}`, show(text), 'is not valid JSON');
    }
    // a spec's default is many-to-one, as Model.predict's
    return typeof rs === 'boolean' ? rs : false;
  }
  return undefined;
}

/** What an `export` command line asks for, checked (the checkpoint read and loaded) before anything is written. */
export function prepareExport(args: Args) {
  const [input, output] = args.positional;
  if (!input || !output) throw new BpttError('MODEL.onnx', 'missing', 'usage: webgpu-bptt export CHECKPOINT.safetensors MODEL.onnx');
  const ck = loadCheckpoint(readRegularFile('CHECKPOINT.safetensors', input, MAX_CHECKPOINT_BYTES, 'a checkpoint saved by train --save'), undefined, input);
  const head = args.flags.has('head') ? choice(args, 'head', ['every-step', 'last-step'] as const, 'every-step') : undefined;
  const returnSequences = head === undefined ? (savedHead(ck, input) ?? true) : head === 'every-step';
  return { ck, output, returnSequences, lengths: args.flags.has('lengths'), state: args.flags.has('state') };
}

/** Write the ONNX file; returns the line to print. */
export async function runExport(p: ReturnType<typeof prepareExport>): Promise<string> {
  const bytes = await exportOnnx({ config: p.ck.config, weights: p.ck.weights, returnSequences: p.returnSequences }, { lengths: p.lengths, state: p.state });
  try {
    writeFileSync(p.output, bytes);
  } catch (e) {
    throw new BpttError('MODEL.onnx', p.output, `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const c = validateConfig(p.ck.config);
  const input = c.input === 'tokens' ? 'tokens int64 [T, B]' : `x float [T, B, ${c.inputSize}]`;
  const out = p.returnSequences ? `[T, B, ${c.outputSize}]` : `[B, ${c.outputSize}]`;
  const what = c.loss === 'softmax-xent' ? ` (class probabilities; logits ${out} too)` : '';
  const L = `[${c.layers}, B, ${c.hidden}]`, lstm = c.cell === 'lstm';
  const stateIn = p.state ? `, h0 ${L}${lstm ? `, c0 ${L}` : ''}` : '', stateOut = p.state ? `; h_n${lstm ? ', c_n' : ''} ${L}` : '';
  return `wrote ${p.output} (${bytes.length} bytes, ONNX opset ${ONNX_OPSET}): ${c.cell} × ${c.layers}, H = ${c.hidden}; input ${input}${p.lengths ? ', lengths int32 [B]' : ''}${stateIn}; output ${out}${what}${stateOut}`;
}
