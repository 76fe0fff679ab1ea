// Generation on the GPU for every cell and depth (d2l's predict): warm the
// states up on the prefix in one forward pass, then feed back one character
// at a time — greedy (argmax) or sampled from softmax(o / temperature). The
// forward math is the training engine's own, on forward-only engines
// (BpttEngine.encodeForwardOnly: no loss or gradient buffers); only the V
// logits of each step come back to pick the next character.
import { BpttEngine } from '../engine/bptt';
import type { RnnConfig } from '../model/config';
import type { Weights, Tensor } from '../model/params';
import type { Vocab } from '../data/text';
import { createRng, type Rng } from '../util/rng';
import { BpttError, requireFinite, requireInt } from '../errors';

/** Where a generator gets its weights: tensors, or a training engine's parameter buffer (copied on the GPU). */
export type GeneratorWeights = Weights<Tensor> | BpttEngine;

/** Pick a class from logits: argmax at temperature 0, else a draw from softmax(o / temperature). */
export function pickToken(o: ArrayLike<number>, temperature: number, rng: Rng): number {
  let pick = 0;
  if (temperature === 0) {
    for (let q = 1; q < o.length; q++) if (o[q] > o[pick]) pick = q;
    return pick;
  }
  let m = -Infinity;
  for (let q = 0; q < o.length; q++) m = Math.max(m, o[q] / temperature);
  const p = Array.from(o, (v) => Math.exp(v / temperature - m));
  let u = rng.next() * p.reduce((a, b) => a + b, 0);
  for (pick = 0; pick < o.length - 1; pick++) {
    u -= p[pick];
    if (u <= 0) break;
  }
  return pick;
}

/**
 * Generate `count` token ids after `prefix` (ids, at least one) on the GPU.
 * temperature 0 is greedy. The engines it makes (B = 1) are destroyed before
 * it returns.
 */
export async function generateIds(device: GPUDevice, config: RnnConfig, weights: GeneratorWeights, prefix: ArrayLike<number>, count: number, temperature = 0, rng: Rng = createRng(1)): Promise<number[]> {
  requireFinite('temperature', temperature);
  if (temperature < 0) throw new BpttError('temperature', String(temperature), 'must be ≥ 0');
  requireInt('count', count, 0, 1 << 20);
  if (prefix.length < 1) throw new BpttError('prefix', 'empty', 'needs at least one token to start from');
  if (weights instanceof BpttEngine && !weights.alive) throw new BpttError('weights', 'a destroyed engine', 'generate from a live engine (its trainer was destroyed or replaced)');
  if (config.input !== 'tokens' || config.loss !== 'softmax-xent') throw new BpttError('config', `${config.input} → ${config.loss}`, 'generation needs a token model (input "tokens", loss "softmax-xent")');
  const warm = new BpttEngine(device, { config, batch: 1, steps: prefix.length, rows: 1, forwardOnly: true });
  let step: BpttEngine | undefined;
  try {
    step = new BpttEngine(device, { config, batch: 1, steps: 1, rows: 1, forwardOnly: true });
    const enc = device.createCommandEncoder({ label: 'generate.warmup' });
    if (weights instanceof BpttEngine) {
      if (weights.layout.total !== warm.layout.total) throw new BpttError('weights', 'engine', 'was built for another model than `config`');
      enc.copyBufferToBuffer(weights.buf.params, 0, warm.buf.params, 0, warm.layout.total * 4);
      enc.copyBufferToBuffer(weights.buf.params, 0, step.buf.params, 0, warm.layout.total * 4);
    } else {
      warm.writeWeights(weights);
      step.writeWeights(weights);
    }
    warm.writeH0();
    warm.writeInputs({ tokens: prefix });
    warm.encodeForwardOnly(enc);
    // the warmed-up states become the step engine's initial ones
    const bytes = warm.stateBytes;
    enc.copyBufferToBuffer(warm.buf.checkpoints, bytes, step.buf.checkpoints, 0, bytes);
    device.queue.submit([enc.finish()]);
    const V = config.outputSize;
    let logits = (await warm.readOutputs()).subarray((prefix.length - 1) * V);
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const x = pickToken(logits, temperature, rng);
      out.push(x);
      if (i === count - 1) break;
      step.writeInputs({ tokens: [x] });
      const e = device.createCommandEncoder({ label: 'generate.step' });
      if (i > 0) step.encodeKeepState(e);
      step.encodeForwardOnly(e);
      device.queue.submit([e.finish()]);
      logits = await step.readOutputs();
    }
    return out;
  } finally {
    warm.destroy();
    step?.destroy();
  }
}

/** Generate `count` characters after `prefix` (a space when empty) with a character vocabulary; returns prefix + the generated text. */
export async function generateText(device: GPUDevice, config: RnnConfig, weights: GeneratorWeights, vocab: Vocab, prefix: string, count: number, temperature = 0, rng: Rng = createRng(1)): Promise<string> {
  const ids = Array.from(vocab.encode(prefix.length ? prefix : ' '));
  return prefix + vocab.decode(await generateIds(device, config, weights, ids, count, temperature, rng));
}
