// Bad input to the engine and the trainer: a clear error that names the
// field, the value and the limit, thrown before any GPU work, with nothing
// left allocated (the live-buffer tally is unchanged).
import { describe, it, expect } from 'vitest';
import { gpu } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { BpttEngine } from '../src/engine/bptt';
import { Trainer, type TrainerOptions } from '../src/engine/trainer';
import { regular, randomized } from '../src/engine/truncation';
import { initWeights } from '../src/model/params';
import { liveMemory } from '../src/gpu/buffers';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';
import { makeCorpus, Vocab, decodeUtf8 } from '../src/data/text';
import { CharLM } from '../src/lm/charlm';
import { main as cli } from '../src/cli/main';
import { mkdtempSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const c = makeConfig({ hidden: 8 });
const B = 2, T = 4;
const base = (): TrainerOptions => ({ config: c, batch: B, steps: T });
const w = () => initWeights(c, createRng(1));

describe('bad configurations and options: refused before any allocation', () => {
  const cases: [string, (device: GPUDevice) => TrainerOptions, RegExp][] = [
    ['hidden 0', () => ({ ...base(), config: { ...c, hidden: 0 } }), /config\.hidden = 0: must be an integer in \[1, /],
    ['hidden fractional', () => ({ ...base(), config: { ...c, hidden: 2.5 } }), /config\.hidden = 2\.5/],
    ['hidden above the device limit', (d) => ({ ...base(), config: { ...c, hidden: d.limits.maxComputeWorkgroupStorageSize } }), /config\.hidden = \d+: must be ≤ \d+ for cell rnn on this device \(maxComputeWorkgroupStorageSize/],
    ['lstm hidden above the device limit', (d) => ({ ...base(), config: { ...c, cell: 'lstm' as const, hidden: d.limits.maxComputeWorkgroupStorageSize } }), /config\.hidden = \d+: must be ≤ \d+ for cell lstm on this device/],
    ['unknown cell', () => ({ ...base(), config: { ...c, cell: 'tree' as never } }), /config\.cell = "tree": must be one of "rnn", "lstm", "gru"/],
    ['layers 0', () => ({ ...base(), config: { ...c, layers: 0 } }), /config\.layers = 0/],
    ['lossFrom past the window', () => ({ ...base(), lossFrom: T }), /lossFrom = 4/],
    ['unknown activation', () => ({ ...base(), config: { ...c, activation: 'sigmoid' as never } }), /config\.activation = "sigmoid": must be one of "tanh", "identity", "relu"/],
    ['unknown input kind', () => ({ ...base(), config: { ...c, input: 'image' as never } }), /config\.input = "image"/],
    ['bias not boolean', () => ({ ...base(), config: { ...c, bias: 1 as never } }), /config\.bias = 1: must be true or false/],
    ['one class', () => ({ ...base(), config: { ...c, outputSize: 1 } }), /config\.outputSize = 1: softmax cross-entropy needs at least 2 classes/],
    ['batch 0', () => ({ ...base(), batch: 0 }), /batch = 0: must be an integer in \[1, /],
    ['steps 0', () => ({ ...base(), steps: 0 }), /steps = 0: must be an integer in \[1, /],
    ['rows 3', () => ({ ...base(), rows: 3 }), /rows = 3: must be 1, 2 or 4/],
    ['a whole-sequence input beyond maxBufferSize (long chunks cannot help)', (d) => ({ ...base(), config: makeConfig({ input: 'dense', inputSize: 1024, outputSize: 2, loss: 'mse', hidden: 4 }), batch: 1, steps: Math.ceil(d.limits.maxBufferSize / (1024 * 4)) + 1 }), /buffer inputAll = \d+ bytes: exceeds this device's limit of \d+ bytes .*reduce steps or batch/],
    ['chunk longer than the window', () => ({ ...base(), chunk: 5 }), /chunk = 5: must be an integer in \[1, 4\]/],
    ['chunk 0', () => ({ ...base(), chunk: 0 }), /chunk = 0: must be an integer in \[1, 4\]/],
    ['negative learning rate', () => ({ ...base(), optimizer: { kind: 'sgd', lr: -0.1 } }), /optimizer\.lr = -0\.1: must be ≥ 0/],
    ['NaN learning rate', () => ({ ...base(), optimizer: { kind: 'sgd', lr: NaN } }), /optimizer\.lr = NaN: must be a finite number/],
    ['unknown optimizer', () => ({ ...base(), optimizer: { kind: 'rmsprop' as never, lr: 1 } }), /optimizer\.kind = "rmsprop"/],
    ['Adam beta1 = 1', () => ({ ...base(), optimizer: { kind: 'adam', lr: 0.01, beta1: 1 } }), /optimizer\.beta1 = 1: must be in \[0, 1\)/],
    ['clip 0', () => ({ ...base(), clip: 0 }), /clip = 0: must be a finite number > 0, or null/],
    ['clip negative', () => ({ ...base(), clip: -1 }), /clip = -1/],
    ['tau above the window', () => ({ ...base(), truncation: regular(T + 1) }), /truncation\.tau = 5: must be ≤ the window length steps = 4/],
    ['pi schedule too short', () => ({ ...base(), truncation: randomized([0.5, 0.5]) }), /truncation\.pi = array\(2\): a schedule needs one π per step \(≥ 4\)/],
    ['weights: NaN in W_hh', () => { const x = w(); x.W_hh[3] = NaN; return { ...base(), weights: x }; }, /weights\.W_hh\[3\] = NaN: must be finite/],
    ['weights: W_qh too short', () => ({ ...base(), weights: { ...w(), W_qh: new Float32Array(3) } }), /weights\.W_qh = length 3: must have 7×8 = 56 elements/],
    ['weights: b_h missing', () => { const x = w(); delete x.b_h; return { ...base(), weights: x }; }, /weights\.b_h = undefined: must be a Float32Array or Float64Array of 1×8/],
    ['seed negative', () => ({ ...base(), seed: -1 }), /seed = -1/],
  ];
  for (const [name, make, msg] of cases) {
    it(name, async () => {
      const device = await gpu();
      const before = liveMemory(device);
      let err: unknown;
      try {
        new Trainer(device, make(device)).destroy();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpttError);
      expect((err as Error).message).toMatch(msg);
      expect(liveMemory(device)).toEqual(before);
    });
  }
});

describe('bad minibatches: refused before upload, the trainer stays usable', () => {
  const good = makeBatch(c, B, T, 3);
  const cases: [string, object, RegExp][] = [
    ['token id = V', { ...good, tokens: Array.from(good.tokens!).map((t, i) => (i === 2 ? 7 : t)) }, /tokens\[2\] = 7: must be an integer in \[0, 6\]/],
    ['negative token id', { ...good, tokens: Array.from(good.tokens!).map((t, i) => (i === 0 ? -1 : t)) }, /tokens\[0\] = -1/],
    ['fractional token id', { ...good, tokens: Array.from(good.tokens!).map((t, i) => (i === 5 ? 1.5 : t)) }, /tokens\[5\] = 1\.5/],
    ['too few tokens', { ...good, tokens: [1, 2, 3] }, /tokens = length 3: must have T·B = 8 entries/],
    ['missing targets', { tokens: good.tokens }, /targets = undefined/],
    ['target out of range', { ...good, targets: Array.from(good.targets!).map((t, i) => (i === 7 ? 9 : t)) }, /targets\[7\] = 9/],
    ['unknown state mode', { ...good, state: 'keep' }, /state = "keep": must be "carry" or "reset"/],
  ];
  for (const [name, batch, msg] of cases) {
    it(name, async () => {
      const device = await gpu();
      const tr = new Trainer(device, { ...base(), seed: 1 });
      const before = liveMemory(device);
      const params = await tr.engine.readFlatParams();
      await expect(tr.step(batch as never)).rejects.toThrow(msg);
      expect(liveMemory(device)).toEqual(before);
      expect(Array.from(await tr.engine.readFlatParams())).toEqual(Array.from(params));
      const ok = await (await tr.step(good)).stats;
      expect(ok.skipped).toBe(false);
      tr.destroy();
    });
  }
  it('dense inputs: non-finite x', async () => {
    const device = await gpu();
    const cd = makeConfig({ input: 'dense', inputSize: 3, loss: 'mse', outputSize: 2 });
    const eng = new BpttEngine(device, { config: cd, batch: 1, steps: 2 });
    const x = [0, 1, 2, Infinity, 4, 5];
    expect(() => eng.writeBatch({ x, y: [0, 0, 0, 0] })).toThrow(/x\[3\] = Infinity: must be a finite number/);
    expect(() => eng.writeH0([1, NaN, 0, 0, 0, 0, 0, 0, 0])).toThrow(/h0 = length 9: must have B·H = 9 entries|h0\[1\] = NaN/);
    expect(() => eng.writeXi(new Float32Array(3))).toThrow(/xi = length 3: must have T = 2 entries/);
    eng.destroy();
  });
  it('a destroyed trainer says so, and destroy frees everything', async () => {
    const device = await gpu();
    const before = liveMemory(device);
    const tr = new Trainer(device, base());
    expect(liveMemory(device).buffers).toBeGreaterThan(before.buffers);
    tr.destroy();
    expect(liveMemory(device)).toEqual(before);
    await expect(tr.step(good)).rejects.toThrow(/trainer = destroyed/);
  });
});

describe('bad data and files: refused with a message, nothing allocated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-data-'));
  const file = (name: string, data: string | Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const huge = join(dir, 'huge.txt');
  writeFileSync(huge, '');
  truncateSync(huge, 65 * 1024 * 1024); // sparse: 65 MiB without writing them
  const cases: [string, (device: GPUDevice) => unknown | Promise<unknown>, RegExp][] = [
    ['τ = 0', () => regular(0), /truncation\.tau = 0: must be an integer ≥ 1/],
    ['τ negative', () => regular(-3), /truncation\.tau = -3/],
    ['π = 0', () => randomized(0), /truncation\.pi = 0: must be in \(0, 1\]/],
    ['π = 1.2', () => randomized(1.2), /truncation\.pi = 1\.2: must be in \(0, 1\]/],
    ['empty corpus', () => makeCorpus(''), /corpus = "": is empty \(after preprocessing\)/],
    ['corpus of punctuation only', () => makeCorpus('!?!? 123 ...'), /is empty \(after preprocessing\)/],
    ['characters outside the vocabulary', () => Vocab.fromText('abc').encode('abz', true), /text\[2\] = "z": is not in the vocabulary/],
    ['non-UTF-8 bytes', () => decodeUtf8(new Uint8Array([0x61, 0xc3, 0x28]), 'upload.txt'), /upload\.txt = 3 bytes: is not valid UTF-8 text/],
    ['binary data', () => decodeUtf8(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), 'archive.zip'), /archive\.zip = 6 bytes: contains NUL characters/],
    ['corpus too short for the batch', (d) => new CharLM(d, makeCorpus('a short text'), { batch: 8, steps: 10 }), /corpus = 12 characters: is too short for batch=8 × steps=10/],
  ];
  for (const [name, run, msg] of cases) {
    it(name, async () => {
      const device = await gpu();
      const before = liveMemory(device);
      let err: unknown;
      try {
        await run(device);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpttError);
      expect((err as Error).message).toMatch(msg);
      expect(liveMemory(device)).toEqual(before);
    });
  }
  const cliCases: [string, string[], RegExp][] = [
    ['gigantic corpus file', ['train', '--corpus', huge, '--driver', 'swiftshader'], /--corpus = .*huge\.txt \(68157440 bytes\): must be at most 67108864 bytes/],
    ['binary corpus file', ['train', '--corpus', file('bin.txt', new Uint8Array([0xff, 0xfe, 0xfd, 0x00])), '--driver', 'swiftshader'], /is not valid UTF-8 text/],
    ['unknown train option', ['train', '--hiden', '5'], /--hiden = given: is not an option here/],
    ['negative learning rate flag', ['train', '--lr', '-1', '--driver', 'swiftshader'], /--lr = "-1": must be a number ≥ 0/],
    ['bad truncation flag', ['train', '--truncation', 'regular:0', '--driver', 'swiftshader'], /truncation\.tau = 0/],
    ['malformed CASE.json', ['gradcheck', file('case.json', '{"config": {"vocab": 3, "hidden": 2, "activation": "tanh", "bias": true}, "weights": {}}')], /weights\.W_hx = undefined: must be an array of 2 rows/],
  ];
  for (const [name, argv, msg] of cliCases) {
    it(`CLI: ${name} (exit 2)`, async () => {
      const errs: string[] = [];
      const orig = console.error;
      console.error = (m: unknown) => errs.push(String(m));
      try {
        expect(await cli(argv)).toBe(2);
      } finally {
        console.error = orig;
      }
      expect(errs.join('\n')).toMatch(msg);
    });
  }
});
