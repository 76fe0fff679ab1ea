// Reliability: checkpoints (bit-exact round trip, PyTorch names, every kind
// of broken file refused with the model left as it was), non-finite values
// never reaching the weights, a lost device resumed from a snapshot, flat
// memory over long runs, and every shader variant compiling cleanly.
import { describe, it, expect } from 'vitest';
import { shaderFiles } from '../scripts/shader-files';
import { gpu } from './gpu';
import { makeConfig, makeBatch } from './fixtures';
import { Trainer, type TrainerSnapshot } from '../src/engine/trainer';
import { BpttEngine } from '../src/engine/bptt';
import { randomized, regular } from '../src/engine/truncation';
import { initWeights, type Weights } from '../src/model/params';
import { saveCheckpoint, loadCheckpoint, TORCH_NAMES } from '../src/model/checkpoint';
import { encodeSafetensors, decodeSafetensors } from '../src/model/safetensors';
import { liveMemory } from '../src/gpu/buffers';
import { createNodeDevice } from '../src/node/device';
import { createRng } from '../src/util/rng';
import { upload } from '../src/gpu/buffers';
import type { StepStats } from '../src/kernels/clip-update';

/**
 * Record every snapshot the trainer takes (its `snapshotEvery` ones call
 * `snapshot()`), so a test can wait on those promises themselves. The
 * trainer's own `.then` (which sets lastSnapshot) was registered on each
 * promise before `settled()` awaits it, so it has run when `settled()` resolves.
 */
function awaitSnapshots(tr: Trainer) {
  const taken: Promise<TrainerSnapshot>[] = [];
  const original = tr.snapshot.bind(tr);
  tr.snapshot = () => {
    const p = original();
    taken.push(p);
    return p;
  };
  return { settled: async () => (await Promise.all(taken)).map((s) => s.calls) };
}

const same = (a: Weights, b: Weights) => Object.keys(a).every((k) => Buffer.from((a as never as Record<string, Float32Array>)[k].buffer).equals(Buffer.from((b as never as Record<string, Float32Array>)[k].buffer)));

describe('checkpoints (safetensors, PyTorch names)', () => {
  const c = makeConfig({ hidden: 6 });
  it('round trip is bit-exact, with Adam state, vocabulary and step', async () => {
    const device = await gpu();
    const tr = new Trainer(device, { config: c, batch: 2, steps: 3, optimizer: { kind: 'adam', lr: 0.01 }, seed: 9 });
    for (let i = 0; i < 3; i++) await tr.step(makeBatch(c, 2, 3, i));
    const snap = await tr.snapshot();
    const vocab = ['<unk>', 'a', 'b', 'c', 'd', 'e', 'f'];
    const bytes = saveCheckpoint({ config: c, weights: snap.weights, optimizer: snap.optimizer, vocab, step: snap.calls });
    const back = loadCheckpoint(bytes, c);
    expect(same(back.weights, snap.weights)).toBe(true);
    expect(same(back.optimizer!.s1!, snap.optimizer.s1!)).toBe(true);
    expect(same(back.optimizer!.s2!, snap.optimizer.s2!)).toBe(true);
    expect(back.optimizer!.step).toBe(3);
    expect(back.vocab).toEqual(vocab);
    expect(back.step).toBe(3);
    // PyTorch's names and shapes; bias_hh is zero so b_ih + b_hh = b_h
    const { tensors } = decodeSafetensors(bytes);
    expect(tensors[TORCH_NAMES.W_hx].shape).toEqual([6, 7]);
    expect(tensors['rnn.weight_hh_l0'].shape).toEqual([6, 6]);
    expect(tensors['fc.weight'].shape).toEqual([7, 6]);
    expect(Array.from(tensors['rnn.bias_hh_l0'].data)).toEqual(new Array(6).fill(0));
    // restoring into a fresh trainer continues identically
    const tr2 = Trainer.resume(device, { config: c, batch: 2, steps: 3, optimizer: { kind: 'adam', lr: 0.01 } }, { ...snap, weights: back.weights, optimizer: { kind: 'adam', step: back.optimizer!.step, s1: back.optimizer!.s1, s2: back.optimizer!.s2 } });
    const b = makeBatch(c, 2, 3, 77);
    await tr.step({ ...b, state: 'reset' });
    await tr2.step({ ...b, state: 'reset' });
    expect(same(await tr.weights(), await tr2.weights())).toBe(true);
    tr.destroy();
    tr2.destroy();
  });
  it('a PyTorch state dict with two biases loads as b_h = b_ih + b_hh', () => {
    const w = initWeights(c, createRng(1));
    const bih = Float32Array.from(w.b_h!, (v) => v / 2), bhh = Float32Array.from(w.b_h!, (v, i) => v - bih[i]);
    const bytes = encodeSafetensors({
      'rnn.weight_ih_l0': { shape: [6, 7], data: w.W_hx }, 'rnn.weight_hh_l0': { shape: [6, 6], data: w.W_hh },
      'rnn.bias_ih_l0': { shape: [6], data: bih }, 'rnn.bias_hh_l0': { shape: [6], data: bhh },
      'fc.weight': { shape: [7, 6], data: w.W_qh }, 'fc.bias': { shape: [7], data: w.b_q! },
    });
    const back = loadCheckpoint(bytes, c);
    back.weights.b_h!.forEach((v, i) => expect(v).toBeCloseTo(w.b_h![i], 6));
  });
  const good = () => saveCheckpoint({ config: c, weights: initWeights(c, createRng(2)), step: 5 });
  const broken: [string, () => Uint8Array, RegExp][] = [
    ['empty file', () => new Uint8Array(0), /checkpoint = 0 bytes: is truncated/],
    ['truncated data', () => good().slice(0, good().length - 10), /the file is truncated/],
    ['truncated header', () => good().slice(0, 40), /header length = \d+: exceeds the file/],
    ['corrupted header', () => { const b = good(); b[8] = 0x5d; return b; }, /header = \d+ bytes: is not valid JSON/],
    ['a header that is JSON but not a header', () => { const b = good(); b[12] = 0x7b; b[13] = 0x7b; return b; }, /dtype = undefined: must be "F32"/],
    ['not safetensors at all', () => new TextEncoder().encode('hello world, this is text'), /exceeds the file|not valid JSON/],
    ['another model (hidden 8)', () => saveCheckpoint({ config: makeConfig({ hidden: 8 }), weights: initWeights(makeConfig({ hidden: 8 }), createRng(1)), step: 0 }), /checkpoint config\.hidden = 8: does not match the model's 6/],
    ['a NaN weight', () => { const { tensors, metadata } = decodeSafetensors(good()); tensors['rnn.weight_hh_l0'].data[4] = NaN; return encodeSafetensors(tensors, metadata); }, /rnn\.weight_hh_l0\[4\] = NaN: must be finite/],
    ['a missing tensor', () => { const w = initWeights(c, createRng(1)); return encodeSafetensors({ 'rnn.weight_ih_l0': { shape: [6, 7], data: w.W_hx } }, { config: JSON.stringify(c) }); }, /rnn\.weight_hh_l0 = missing/],
    ['a wrong shape', () => { const w = initWeights(c, createRng(1)); return encodeSafetensors({ 'rnn.weight_ih_l0': { shape: [7, 6], data: w.W_hx } }, { config: JSON.stringify(c) }); }, /rnn\.weight_ih_l0\.shape = \[7,6\]: must be \[6,7\]/],
    ['a bad dtype', () => { const b = good(); const at = Buffer.from(b).indexOf('"F32"'); b[at + 2] = 0x36; b[at + 3] = 0x34; return b; }, /dtype = F64: must be "F32"/],
  ];
  for (const [name, make, msg] of broken) {
    it(`refused: ${name}, and the model is left as it was`, async () => {
      const device = await gpu();
      const tr = new Trainer(device, { config: c, batch: 1, steps: 2, seed: 4 });
      const before = await tr.snapshot();
      const mem = liveMemory(device);
      expect(() => {
        const d = loadCheckpoint(make(), c);
        tr.restore({ ...before, weights: d.weights }); // only reached for a valid file
      }).toThrow(msg);
      expect(same((await tr.snapshot()).weights, before.weights)).toBe(true);
      expect(liveMemory(device)).toEqual(mem);
      tr.destroy();
    });
  }
});

describe('non-finite values never reach the weights', () => {
  it('NaN in the inputs (written past the checks) and Inf in a weight: update skipped, event fired, training goes on', async () => {
    const device = await gpu();
    const c = makeConfig({ input: 'dense', inputSize: 3, outputSize: 2, loss: 'mse', hidden: 5 });
    const tr = new Trainer(device, { config: c, batch: 2, steps: 3, seed: 1 });
    const events: StepStats[] = [];
    tr.addEventListener('nonfinite', (e) => events.push((e as CustomEvent<StepStats>).detail));
    const batch = makeBatch(c, 2, 3, 5);
    const before = await tr.engine.readFlatParams();
    // a corrupted input buffer: the batch is written, then NaN lands in it before the step runs
    const origWrite = tr.engine.writeBatch.bind(tr.engine);
    tr.engine.writeBatch = (b) => {
      origWrite(b);
      upload(device, tr.engine.buf.input, new Float32Array([NaN]), 4);
    };
    const s1 = await (await tr.step(batch)).stats;
    tr.engine.writeBatch = origWrite;
    expect(s1.skipped).toBe(true);
    expect(Buffer.from((await tr.engine.readFlatParams()).buffer).equals(Buffer.from(before.buffer))).toBe(true);
    const bad = before.slice();
    bad[tr.engine.layout.byName.W_hh!.offset + 2] = -Infinity;
    tr.engine.writeFlatParams(bad);
    const s2 = await (await tr.step(batch)).stats;
    expect(s2.skipped).toBe(true);
    expect(Buffer.from((await tr.engine.readFlatParams()).buffer).equals(Buffer.from(bad.buffer))).toBe(true);
    tr.engine.writeFlatParams(before);
    const s3 = await (await tr.step(batch)).stats;
    expect(s3.skipped).toBe(false);
    expect(s3.skippedTotal).toBe(2);
    expect(events.map((e) => e.skippedTotal)).toEqual([1, 2]);
    tr.destroy();
  });
});

describe('device loss', () => {
  it('destroying the device mid-training: a devicelost event with a snapshot, resumed on a new device with ≤ snapshotEvery steps lost', async () => {
    const c = makeConfig({ hidden: 8 });
    const every = 4;
    const opts = { config: c, batch: 2, steps: 3, optimizer: { kind: 'adam' as const, lr: 0.01 }, snapshotEvery: every, seed: 5 };
    const d1 = await createNodeDevice({ quiet: true });
    const tr = new Trainer(d1, opts);
    const lost = new Promise<{ snapshot: TrainerSnapshot | null; reason: string }>((res) => tr.addEventListener('devicelost', (e) => res((e as CustomEvent).detail)));
    const snapshots = awaitSnapshots(tr);
    for (let i = 0; i < 10; i++) await tr.step(makeBatch(c, 2, 3, i));
    await tr.flush();
    // wait for the snapshots the trainer took (steps 4 and 8) themselves, not for a timer
    expect(await snapshots.settled()).toEqual([4, 8]);
    expect(tr.lastSnapshot?.calls).toBe(8);
    d1.destroy();
    const detail = await lost;
    expect(detail.reason).toBe('destroyed');
    expect(detail.snapshot).not.toBeNull();
    const lostSteps = 10 - detail.snapshot!.calls;
    console.log(`device lost after 10 steps; snapshot at step ${detail.snapshot!.calls}: ${lostSteps} steps lost (snapshotEvery = ${every})`);
    expect(lostSteps).toBeLessThanOrEqual(every);
    const d2 = await gpu(); // the file's device: another device than the lost one, its pipelines already built
    const tr2 = Trainer.resume(d2, opts, detail.snapshot!);
    const back = await tr2.snapshot();
    expect(same(back.weights, detail.snapshot!.weights)).toBe(true);
    expect(back.optimizer.step).toBe(detail.snapshot!.optimizer.step);
    for (let i = 0; i < 3; i++) await tr2.step(makeBatch(c, 2, 3, 20 + i));
    const s = await tr2.flush();
    expect(s!.skipped).toBe(false);
    expect(s!.step).toBe(detail.snapshot!.optimizer.step + 3);
    tr2.destroy();
    tr.destroy();
  });
});

describe('resources', () => {
  it('soak: 600 steps with diagnostics and snapshots, live buffers and bytes flat', async () => {
    const device = await gpu();
    const c = makeConfig({ hidden: 4, inputSize: 5, outputSize: 5 });
    const before = liveMemory(device);
    const tr = new Trainer(device, { config: c, batch: 2, steps: 2, truncation: randomized(0.5), snapshotEvery: 100 });
    const snapshots = awaitSnapshots(tr);
    const held = liveMemory(device);
    let maxBytes = 0;
    for (let i = 0; i < 600; i++) {
      await tr.step({ ...makeBatch(c, 2, 2, i % 50), diagnostics: i % 10 === 0 });
      if (i % 20 === 0) maxBytes = Math.max(maxBytes, liveMemory(device).bytes);
    }
    await tr.flush();
    // (a leak of one buffer per step, per diagnostics run or per snapshot shows as inequality below after any number of them)
    // every snapshot's staging buffer is released once its promise settles
    expect(await snapshots.settled()).toEqual([100, 200, 300, 400, 500, 600]);
    console.log(`soak: 600 steps, live buffers ${held.buffers} → ${liveMemory(device).buffers}, bytes ${held.bytes} → ${liveMemory(device).bytes}`);
    expect(liveMemory(device)).toEqual(held);
    tr.destroy();
    expect(liveMemory(device)).toEqual(before);
  });
  it('creating and disposing 50 trainers and engines leaves nothing behind', async () => {
    const device = await gpu();
    const before = liveMemory(device);
    const c = makeConfig({ hidden: 7 });
    for (let i = 0; i < 50; i++) {
      const tr = new Trainer(device, { config: c, batch: 2, steps: 3, truncation: regular(2) });
      await (await tr.step(makeBatch(c, 2, 3, i))).stats;
      await tr.flush();
      tr.dispose();
      new BpttEngine(device, { config: c, batch: 3, steps: 2 }).dispose();
    }
    expect(liveMemory(device)).toEqual(before);
  });
});

describe('shaders', () => {
  it('every WGSL variant the engine builds compiles without warnings, and pipelines validate', async () => {
    const device = await gpu();
    const mods = (await import('../src/kernels/index')) as Record<string, unknown>;
    const sources = Object.entries(mods).filter(([k, v]) => k.endsWith('_WGSL') && typeof v === 'string') as [string, string][];
    // every shipped shader file is exported as NAME_WGSL (and so compiled below)
    const files = Object.keys(shaderFiles());
    expect(sources.map(([k]) => k).sort()).toEqual(files.map((f) => `${f.slice(0, -5).toUpperCase()}_WGSL`).sort());
    for (const [name, code] of sources) {
      const info = await device.createShaderModule({ code, label: name }).getCompilationInfo();
      expect(info.messages.map((m) => `${name}:${m.lineNum}: ${m.type}: ${m.message}`)).toEqual([]);
    }
    // every pipeline variant: all activations × biases × inputs × losses × optimizers × rows
    device.pushErrorScope('validation');
    for (const activation of ['tanh', 'identity', 'relu'] as const) {
      for (const [input, loss] of [['tokens', 'softmax-xent'], ['dense', 'mse']] as const) {
        for (const rows of [1, 2, 4]) {
          const cfg = makeConfig({ activation, input, loss, bias: rows !== 2, hidden: 5, inputSize: 4, outputSize: 4 });
          for (const kind of ['sgd', 'adagrad', 'adam'] as const) new Trainer(device, { config: cfg, batch: 4, steps: 2, rows, optimizer: { kind, lr: 0.1 } }).destroy();
        }
      }
    }
    expect(await device.popErrorScope()).toBeNull();
  });
});
