// `webgpu-bptt train` and `sample` end to end (the built CLI, child processes,
// tiny settings): train --save writes a checkpoint whose greedy continuation,
// computed here in float64 from the saved weights, is what `sample` prints and
// what train printed from the GPU; sampling with a temperature is reproducible
// by seed; and a run whose steps blow up says how many were skipped and what
// to change. The first train and the greedy sample run the built CLI as a
// user does (child processes); the other runs call the same CLI code in this
// process (runCli), so they pay for no process start of their own.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/model/checkpoint';
import { referenceCells } from '../src/reference/cells64';
import { createRng } from '../src/util/rng';
import { runCli } from './harness';

const CLI = join(import.meta.dirname, '..', 'bin', 'webgpu-bptt.js');
const dir = mkdtempSync(join(tmpdir(), 'cli-train-'));
const corpusFile = join(dir, 'corpus.txt');
const model = join(dir, 'model.safetensors');
const child = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
const cli = runCli;
const TINY = ['--corpus', corpusFile, '--hidden', '12', '--batch', '4', '--steps', '8', '--quiet', '--driver', 'swiftshader'];

// lower-case letters and spaces only, so d2l's preprocessing leaves it as is
const rng = createRng(5);
const words = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us'.split(' ');
const text = Array.from({ length: 400 }, () => words[rng.int(words.length)]).join(' ');

/** Greedy generation in float64 from the chapter's weights (independent of the package's generators). */
function greedy64(w: Record<string, Float32Array>, vocab: string[], prefix: string, count: number): string {
  const V = vocab.length, H = w.b_h.length;
  let h = new Float64Array(H);
  const step = (x: number) => {
    const next = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let z = w.W_hx[j * V + x] + w.b_h[j];
      for (let k = 0; k < H; k++) z += w.W_hh[j * H + k] * h[k];
      next[j] = Math.tanh(z);
    }
    h = next;
  };
  const argmax = () => {
    let best = 0, bestV = -Infinity;
    for (let q = 0; q < V; q++) {
      let o = w.b_q[q];
      for (let j = 0; j < H; j++) o += w.W_qh[q * H + j] * h[j];
      if (o > bestV) [best, bestV] = [q, o];
    }
    return best;
  };
  for (const ch of prefix) step(vocab.indexOf(ch));
  let out = prefix;
  for (let i = 0; i < count; i++) {
    const x = argmax();
    out += vocab[x];
    step(x);
  }
  return out;
}

let trained: ReturnType<typeof child>;
beforeAll(() => {
  writeFileSync(corpusFile, text);
  trained = child('train', ...TINY, '--epochs', '3', '--lr', '0.02', '--save', model, '--prefix', 'time traveller');
}, 300_000);

describe('train --save, then sample', () => {
  it('train succeeds, learns, and saves the model with its vocabulary', () => {
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    const lines = trained.stdout.trim().split('\n');
    const ppl = lines.map((l) => /^epoch (\d)\/3: perplexity ([\d.]+)/.exec(l)).filter((m) => m).map((m) => Number(m![2]));
    console.log(`train: perplexity per epoch ${ppl.join(', ')}`);
    expect(ppl).toHaveLength(3);
    const vocabSize = new Set(text).size + 1; // + <unk>
    expect(ppl[0]).toBeLessThan(vocabSize); // better than uniform
    expect(ppl[2]).toBeLessThan(ppl[0]);
    expect(lines[lines.length - 1]).toBe(`saved ${model} (safetensors with PyTorch's names, the vocabulary and the optimizer state)`);
    const ck = loadCheckpoint(new Uint8Array(readFileSync(model)));
    expect(ck.config).toMatchObject({ cell: 'rnn', layers: 1, hidden: 12, inputSize: vocabSize, activation: 'tanh', bias: true });
    expect(new Set(ck.vocab)).toEqual(new Set(['<unk>', ...new Set(text)]));
    expect(ck.optimizer?.kind).toBe('adam');
  });

  it('sample (greedy) prints the float64 greedy continuation of the saved weights, as train did on the GPU', () => {
    const ck = loadCheckpoint(new Uint8Array(readFileSync(model)));
    const want = greedy64(ck.weights as Record<string, Float32Array>, ck.vocab!, 'time traveller', 50);
    const r = child('sample', model, '--prefix', 'time traveller', '--length', '50');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(want + '\n');
    expect(trained.stdout).toContain(`\nsample: ${want}\n`);
    console.log(`sample: ${JSON.stringify(want)}`);
  });

  it('sample with a temperature: the same seed gives the same text, of the asked length, from the vocabulary', async () => {
    const a = await cli('sample', model, '--prefix', 'the', '--length', '40', '--temperature', '1', '--seed', '3');
    const b = await cli('sample', model, '--prefix', 'the', '--length', '40', '--temperature', '1', '--seed', '3');
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const out = a.stdout.replace(/\n$/, '');
    expect(out.startsWith('the')).toBe(true);
    expect(out.length).toBe(3 + 40);
    const ck = loadCheckpoint(new Uint8Array(readFileSync(model)));
    for (const ch of out.slice(3)) expect(ck.vocab).toContain(ch);
  });
});

describe('train with the truncations beyond the chapter', () => {
  for (const spec of ['tbptt:2:5', 'geometric:0.2:3:per-sequence']) {
    it(`--truncation ${spec} trains and says which strategy ran`, async () => {
      const r = await cli('train', ...TINY, '--epochs', '1', '--truncation', spec);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(spec.startsWith('tbptt') ? /tbptt\(k1=2, k2=5\)/ : /randomized\(geometric p=0\.2, min 3\) per sequence/);
      const ppl = Number(/perplexity ([\d.]+)/.exec(r.stdout)![1]);
      expect(ppl).toBeGreaterThan(1);
      expect(ppl).toBeLessThan(40);
    });
  }
});

describe('train --cell lstm --layers 2 --save, then sample', () => {
  it('sample reads the cell and depth from the checkpoint; greedy is the float64 argmax chain of the cell reference', async () => {
    const lstm = join(dir, 'lstm.safetensors');
    const t = await cli('train', ...TINY, '--epochs', '2', '--lr', '0.02', '--cell', 'lstm', '--layers', '2', '--save', lstm);
    expect(t.status, t.stderr).toBe(0);
    const ck = loadCheckpoint(new Uint8Array(readFileSync(lstm)));
    expect([ck.config.cell, ck.config.layers]).toEqual(['lstm', 2]);
    const r = await cli('sample', lstm, '--prefix', 'the', '--length', '30', '--driver', 'swiftshader');
    expect(r.status, r.stderr).toBe(0);
    // the reference's greedy chain: grow the sequence one argmax at a time
    const vocab = ck.vocab!;
    const ids = [...'the'].map((ch) => vocab.indexOf(ch));
    for (let i = 0; i < 30; i++) {
      const o = referenceCells(ck.config, ck.weights, { B: 1, T: ids.length, tokens: ids, targets: ids.map(() => 0) }).o;
      const last = o.subarray((ids.length - 1) * vocab.length);
      let best = 0;
      for (let q = 1; q < vocab.length; q++) if (last[q] > last[best]) best = q;
      ids.push(best);
    }
    expect(r.stdout.replace(/\n$/, '')).toBe(ids.map((x) => vocab[x]).join(''));
  });
});

describe('non-finite steps', () => {
  it('train --optimizer sgd --lr 1e30 ends with the count of skipped steps and what to change', async () => {
    const r = await cli('train', ...TINY, '--epochs', '1', '--optimizer', 'sgd', '--lr', '1e30');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const last = lines[lines.length - 1];
    const m = /^warning: (\d+) of (\d+) steps were skipped: their loss or gradient norm was NaN or infinite \(exploding gradients\), so their updates were not applied\. To fix it: lower --lr \(now 1e\+30\)\.$/.exec(last);
    expect(m, last).not.toBeNull();
    const [skipped, steps] = [Number(m![1]), Number(m![2])];
    console.log(`lr 1e30: ${last}`);
    expect(skipped).toBeGreaterThan(0);
    expect(skipped).toBeLessThanOrEqual(steps);
    // updates per epoch: ⌊(n − offset − 1) / (B·T)⌋ for the epoch's random offset in [0, T)
    expect(steps).toBeGreaterThanOrEqual(Math.floor((text.length - 8) / 32));
    expect(steps).toBeLessThanOrEqual(Math.floor((text.length - 1) / 32));
  });

  it('a run without skipped steps prints no warning; identity without clipping is told both fixes', async () => {
    expect(trained.stdout).not.toContain('skipped');
    const r = await cli('train', ...TINY, '--epochs', '1', '--optimizer', 'sgd', '--lr', '1e30', '--clip', 'off', '--activation', 'identity');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/To fix it: lower --lr \(now 1e\+30\), turn clipping on \(--clip 1\), use --activation tanh\.$/);
  });
});
