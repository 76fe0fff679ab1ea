// CharLM end to end, against the float64 reference (src/reference/rnn64.ts):
//  - trainEpoch: every step's loss is the reference's loss at the weights the
//    GPU held before that step, with the state carried (or reset) as d2l does;
//    the reported perplexity is exp of the mean of those losses; it falls over
//    epochs on a tiny corpus.
//  - predict / generate: greedy text from fixed weights is the reference's
//    argmax chain (warm up on the prefix, then feed back each pick).
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { CharLM, type StepInfo } from '../src/lm/charlm';
import { generateText } from '../src/lm/generate';
import { makeCorpus, type Corpus } from '../src/data/text';
import { charLmConfig } from '../src/model/config';
import { initWeights, type Weights } from '../src/model/params';
import { referenceForwardBackward } from '../src/reference/rnn64';
import { createRng } from '../src/util/rng';
import type { StepInput } from '../src/engine/trainer';
import type { StepStats } from '../src/kernels/clip-update';

const TEXT = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us ';
const B = 2, T = 5, H = 8;

/** Each step's input, the weights the GPU held before it, and its statistics, as the trainer saw them. */
function recordSteps(lm: CharLM) {
  const steps: { input: StepInput; before: Weights; stats: Promise<StepStats> }[] = [];
  const original = lm.trainer.step.bind(lm.trainer);
  lm.trainer.step = async (input) => {
    const before = await lm.trainer.weights();
    const handle = await original(input);
    steps.push({ input, before, stats: handle.stats });
    return handle;
  };
  return steps;
}

/** The float64 argmax chain: warm up on the prefix, then feed back each pick; the smallest top-2 margin seen. */
function argmaxChain(corpus: Corpus, w: Weights, prefix: string, count: number): { text: string; margin: number } {
  const c = charLmConfig(corpus.vocab.size, H);
  const ids = Array.from(corpus.vocab.encode(prefix));
  let margin = Infinity;
  for (let i = 0; i < count; i++) {
    const { o } = referenceForwardBackward(c, w, { B: 1, T: ids.length, tokens: ids, targets: ids.map(() => 0) });
    const last = o.subarray((ids.length - 1) * c.outputSize);
    const order = Array.from(last.keys()).sort((a, b) => last[b] - last[a]);
    margin = Math.min(margin, last[order[0]] - last[order[1]]);
    ids.push(order[0]);
  }
  return { text: prefix + corpus.vocab.decode(ids.slice(prefix.length)), margin };
}

describe('CharLM.trainEpoch', () => {
  it("every step's loss is the float64 reference's; perplexity = exp(mean loss); it falls over epochs", async () => {
    const device = await gpu();
    const corpus = makeCorpus(TEXT.repeat(2));
    const lm = new CharLM(device, corpus, { hidden: H, batch: B, steps: T, seed: 7, optimizer: { kind: 'adam', lr: 0.03 } });
    const c = lm.trainer.engine.config;
    const steps = recordSteps(lm);
    const seen: StepInfo[] = [];
    const first = await lm.trainEpoch((info) => seen.push(info));
    expect(first.steps).toBe(steps.length);
    expect(first.skipped).toBe(0);
    expect(seen.map((s) => [s.epochStep, s.epochSteps])).toEqual(steps.map((_, i) => [i + 1, steps.length]));

    // the reference, step by step: the GPU's weights before the step, h0 carried from the reference's last state
    const losses = await Promise.all(steps.map((s) => s.stats.then((x) => x.loss)));
    let h0 = new Float64Array(B * H);
    let worst = 0;
    const refLosses: number[] = [];
    steps.forEach((s, i) => {
      const carry = s.input.state !== 'reset' && i > 0;
      const r = referenceForwardBackward(c, s.before, { B, T, tokens: s.input.tokens!, targets: s.input.targets! }, { h0: carry ? h0 : undefined });
      refLosses.push(r.loss);
      worst = Math.max(worst, Math.abs(losses[i] - r.loss) / r.loss);
      h0 = r.h.slice(T * B * H, (T + 1) * B * H);
    });
    console.log(`trainEpoch: ${steps.length} steps, max rel error of the step losses vs float64 ${worst.toExponential(2)}; perplexity ${first.perplexity.toFixed(4)}`);
    expect(worst).toBeLessThan(1e-5);
    expect(steps[0].input.state).toBe('reset');
    expect(steps.slice(1).every((s) => s.input.state === 'carry')).toBe(true);
    // perplexity is exp of the mean of the losses it saw, and of the reference's to f32 accuracy
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    expect(first.meanLoss).toBeCloseTo(mean, 12);
    expect(first.perplexity).toBeCloseTo(Math.exp(mean), 10);
    const refPpl = Math.exp(refLosses.reduce((a, b) => a + b, 0) / refLosses.length);
    expect(Math.abs(first.perplexity - refPpl) / refPpl).toBeLessThan(1e-5);

    const later: number[] = [];
    for (let e = 0; e < 5; e++) later.push((await lm.trainEpoch()).perplexity);
    console.log(`perplexity by epoch: ${[first.perplexity, ...later].map((p) => p.toFixed(3)).join(' → ')}`);
    expect(later[4]).toBeLessThan(0.8 * first.perplexity);
    expect(later[4]).toBeLessThan(later[0]);
    lm.destroy();
  });
});

describe('CharLM.predict and generate', () => {
  it('greedy text from fixed weights is the float64 argmax chain; a near-zero temperature gives the same', async () => {
    const device = await gpu();
    const corpus = makeCorpus(TEXT);
    const lm = new CharLM(device, corpus, { hidden: H, batch: B, steps: T, seed: 1 });
    const c = lm.trainer.engine.config;
    const w = initWeights(c, createRng(11));
    for (const k of Object.keys(w)) w[k] = w[k].map((v) => v * 4); // sharper logits: no near-ties
    lm.trainer.restore({ config: c, calls: 0, weights: w, optimizer: { kind: 'sgd', step: 0 } });
    const prefix = 'time tr', count = 30;
    const want = argmaxChain(corpus, w, prefix, count);
    console.log(`argmax chain: ${JSON.stringify(want.text)}, smallest top-2 logit margin ${want.margin.toExponential(2)}`);
    expect(want.margin).toBeGreaterThan(1e-3); // f32 and f64 cannot disagree on the argmax
    expect(await lm.predict(prefix, count)).toBe(want.text);
    expect(await lm.predict(prefix, count, 1e-6, createRng(5))).toBe(want.text);
    expect(await generateText(device, c, w, corpus.vocab, prefix, count, 0, createRng(1))).toBe(want.text);
    // sampling at temperature 1 draws from the vocabulary and keeps the prefix
    const sampled = await lm.predict(prefix, count, 1, createRng(2));
    expect(sampled.startsWith(prefix)).toBe(true);
    expect(sampled.length).toBe(prefix.length + count);
    expect([...sampled].every((ch) => corpus.vocab.idxToToken.includes(ch))).toBe(true);
    lm.destroy();
  });

  it('refuses a negative or non-finite temperature', async () => {
    const device = await gpu();
    const lm = new CharLM(device, makeCorpus(TEXT), { hidden: H, batch: B, steps: T });
    await expect(lm.predict('the', 3, -1)).rejects.toThrow(/temperature = -1: must be ≥ 0/);
    await expect(lm.predict('the', 3, NaN)).rejects.toThrow(/temperature = NaN/);
    lm.destroy();
  });
});
