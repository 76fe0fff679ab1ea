// Variable-length sequences (BatchInput.lengths) and per-row loss weights:
// padded steps hold the state, add no loss and no gradient, and the final
// state is each sequence's state at its last real step.
//  1. The float64 reference of these semantics against finite differences,
//     and against each sequence run alone (no padding at all).
//  2. The GPU against that reference: every cell × 1 and 2 layers × full,
//     regular, randomized and TBPTT, chunked windows, dense inputs with MSE
//     and loss weights (many-to-one).
//  3. Forward-only engines: predictions and final states equal each sequence
//     run alone; no training buffer is allocated.
import { describe, it, expect } from 'vitest';
import { gpu, relErr } from './gpu';
import { parseCase, runGradcheck } from '../src/cli/gradcheck';
import { referenceCells, referenceCellsLoss } from '../src/reference/cells64';
import { BpttEngine } from '../src/engine/bptt';
import { paramShapes, initWeights, type Weights } from '../src/model/params';
import { validateConfig, type CellKind, type ModelConfig } from '../src/model/config';
import { liveMemory } from '../src/gpu/buffers';
import { BpttError } from '../src/errors';
import { createRng, type Rng } from '../src/util/rng';
import type { Batch } from '../src/reference/rnn64';
import { gradcheckErr, engineStepErr } from './harness';

const CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];

function nested(rng: Rng, rows: number, cols: number, s = 0.5): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => s * (2 * rng.next() - 1)));
}

/** A token config of `cell` × `layers` (V = Q = 5, H = 5). */
function tokenConfig(cell: CellKind, layers: number, hidden = 5): ModelConfig {
  return validateConfig({ cell, layers, input: 'tokens', inputSize: 5, hidden, outputSize: 5, activation: 'tanh', bias: true, loss: 'softmax-xent' });
}

/** Dense inputs (d = 3) and MSE over Q = 2. */
function denseConfig(cell: CellKind, layers: number): ModelConfig {
  return validateConfig({ cell, layers, input: 'dense', inputSize: 3, hidden: 4, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' });
}

function weightsOf(c: ModelConfig, seed: number): Weights {
  return initWeights(c, createRng(seed));
}

/** A random time-major batch of B × T (tokens or dense). */
function batchOf(c: ModelConfig, B: number, T: number, seed: number): Batch {
  const rng = createRng(seed);
  const R = T * B;
  if (c.input === 'tokens') {
    return { B, T, tokens: Array.from({ length: R }, () => rng.int(c.inputSize)), targets: Array.from({ length: R }, () => rng.int(c.outputSize)) };
  }
  return { B, T, x: Array.from({ length: R * c.inputSize }, () => 2 * rng.next() - 1), y: Array.from({ length: R * c.outputSize }, () => 2 * rng.next() - 1) };
}

/** Sequence b of a time-major batch alone, cut to its first `len` steps (B = 1). */
function alone(c: ModelConfig, batch: Batch, b: number, len: number): Batch {
  const B = batch.B;
  const rows = (a: ArrayLike<number>, per: number) => Array.from({ length: len * per }, (_, i) => a[(Math.floor(i / per) * B + b) * per + (i % per)]);
  return c.input === 'tokens'
    ? { B: 1, T: len, tokens: rows(batch.tokens!, 1), targets: rows(batch.targets!, 1) }
    : { B: 1, T: len, x: rows(batch.x!, c.inputSize), y: rows(batch.y!, c.outputSize) };
}

describe('the float64 reference of padded batches', () => {
  it('matches centred finite differences (every cell, 2 layers, h0; full BPTT, the true derivative)', () => {
    for (const cell of CELLS) {
      const c = tokenConfig(cell, 2, 3);
      const w = weightsOf(c, 3);
      const batch = batchOf(c, 3, 5, 4);
      const lengths = [5, 2, 4];
      const opts = { lengths, h0: [0, 1].map((l) => Array.from({ length: 9 }, (_, i) => 0.3 * Math.sin(i + l))) };
      const r = referenceCells(c, w, batch, opts);
      let worst = 0;
      for (const [name] of paramShapes(c)) {
        for (const i of [0, 1, w[name].length - 1]) {
          const eps = 1e-6, keep = w[name][i];
          const p = { ...w, [name]: Float64Array.from(w[name]) };
          p[name][i] = keep + eps;
          const up = referenceCellsLoss(c, p, batch, opts);
          p[name][i] = keep - eps;
          const down = referenceCellsLoss(c, p, batch, opts);
          worst = Math.max(worst, Math.abs((up - down) / (2 * eps) - r.grads[name][i]));
        }
      }
      console.log(`reference vs finite differences, ${cell} × 2 with lengths ${lengths}: worst |Δ| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-7);
    }
  });

  it('equals the sum of each sequence run alone (states, loss, gradients)', () => {
    for (const cell of CELLS) {
      const c = denseConfig(cell, 2);
      const w = weightsOf(c, 5);
      const B = 4, T = 6, lengths = [6, 3, 1, 4];
      const batch = batchOf(c, B, T, 6);
      const padded = referenceCells(c, w, batch, { lengths });
      const N = lengths.reduce((s, v) => s + v, 0);
      let loss = 0;
      const grads: Record<string, Float64Array> = {};
      for (let b = 0; b < B; b++) {
        const one = referenceCells(c, w, alone(c, batch, b, lengths[b]), { scale: 1 / N });
        loss += one.loss;
        for (const [k, v] of Object.entries(one.grads)) {
          grads[k] ??= new Float64Array(v.length);
          v.forEach((x, i) => (grads[k][i] += x));
        }
        for (let l = 0; l < 2; l++) {
          expect(relErr(padded.hLast[l].subarray(b * 4, b * 4 + 4), one.hLast[l])).toBeLessThan(1e-15);
          if (cell === 'lstm') expect(relErr(padded.cLast![l].subarray(b * 4, b * 4 + 4), one.cLast![l])).toBeLessThan(1e-15);
        }
      }
      expect(Math.abs(padded.loss - loss) / loss).toBeLessThan(1e-14);
      for (const k of Object.keys(grads)) expect(relErr(padded.grads[k], grads[k])).toBeLessThan(1e-12);
    }
  });
});

describe('padded batches on the GPU against the float64 reference', () => {
  const truncations: [string, Record<string, unknown>][] = [
    ['full', {}],
    ['regular:2', { truncation: { kind: 'regular', tau: 2 } }],
    ['randomized:0.6 per sequence', { truncation: { kind: 'randomized', pi: 0.6, perSequence: true, seed: 3 } }],
    ['tbptt:2:3', { truncation: { kind: 'tbptt', k1: 2, k2: 3 } }],
    ['full, chunks of 2', { chunk: 2 }],
  ];
  let worst = 0;
  for (const cell of CELLS) {
    for (const layers of [1, 2]) {
      it(`${cell} × ${layers}: ${truncations.map(([n]) => n).join(', ')}`, async () => {
        const device = await gpu();
        const B = 3, T = 5, H = 5, V = 5;
        for (const [i, [name, extra]] of truncations.entries()) {
          const rng = createRng(100 * layers + i);
          const c = tokenConfig(cell, layers);
          const weights: Record<string, unknown> = {};
          for (const [n, rows, cols] of paramShapes(c)) weights[n] = rows === 1 ? nested(rng, 1, cols)[0] : nested(rng, rows, cols, 0.7);
          const ids = () => Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(V)));
          const states = () => (cell === 'rnn' && layers === 1 ? nested(rng, B, H) : Array.from({ length: layers }, () => nested(rng, B, H)));
          const json: Record<string, unknown> = { config: { vocab: V, hidden: H, activation: 'tanh', bias: true, cell, layers }, weights, tokens: ids(), targets: ids(), h0: states(), lengths: [5, 2, 4], ...extra };
          if (cell === 'lstm') json.c0 = Array.from({ length: layers }, () => nested(rng, B, H));
          const k = parseCase(json);
          const e = gradcheckErr(await runGradcheck(k, device), await runGradcheck(k, null));
          worst = Math.max(worst, e);
          console.log(`${cell} × ${layers} ${name}, lengths [5, 2, 4]: worst relative error ${e.toExponential(2)} (so far ${worst.toExponential(2)})`);
          expect(e).toBeLessThan(1e-6);
        }
      });
    }
  }

  it('dense inputs, MSE, loss weights (many-to-one: the last real step only), every cell', async () => {
    const device = await gpu();
    for (const cell of CELLS) {
      const c = denseConfig(cell, 2);
      const w = weightsOf(c, 7);
      const B = 4, T = 6, lengths = [6, 3, 1, 4];
      const batch = batchOf(c, B, T, 8);
      const lossWeights = Array.from({ length: T * B }, (_, r) => (Math.floor(r / B) === lengths[r % B] - 1 ? 1 : 0));
      const ref = referenceCells(c, w, batch, { lengths, lossWeights });
      const eng = new BpttEngine(device, { config: c, batch: B, steps: T });
      try {
        const e = await engineStepErr(eng, w, { x: batch.x, y: batch.y, lengths, lossWeights }, new Float32Array(T).fill(1), ref);
        console.log(`${cell} × 2 dense, MSE, many-to-one weights: worst relative error ${e.toExponential(2)}`);
        expect(e).toBeLessThan(1e-6);
      } finally {
        eng.destroy();
      }
    }
  });
});

describe('forward-only engines', () => {
  it('predict each sequence of a padded batch as if it ran alone, with no training buffer allocated', async () => {
    const device = await gpu();
    for (const cell of CELLS) {
      const c = denseConfig(cell, 2);
      const w = weightsOf(c, 9);
      const B = 4, T = 6, Q = c.outputSize, H = c.hidden, lengths = [6, 3, 1, 4];
      const batch = batchOf(c, B, T, 10);
      const training = new BpttEngine(device, { config: c, batch: B, steps: T });
      const trainingBytes = training.arena.bytesInUse;
      training.destroy();
      const before = liveMemory(device);
      const eng = new BpttEngine(device, { config: c, batch: B, steps: T, forwardOnly: true });
      try {
        const names = Object.keys(eng.buf);
        for (const n of ['grads', 'dG', 'dH', 'dO', 'xi', 'target', 'lossRows', 'lossW', 'dHc0.0', 'partials', 'stats', 'diag']) expect(names).not.toContain(n);
        // every byte the engine added to the device's tally is its arena's, and fewer than training needs
        expect(liveMemory(device).bytes - before.bytes).toBeGreaterThanOrEqual(eng.arena.bytesInUse);
        expect(eng.arena.bytesInUse).toBeLessThan(trainingBytes);
        eng.writeWeights(w);
        eng.writeInputs({ x: batch.x, lengths });
        eng.writeH0();
        const enc = device.createCommandEncoder();
        eng.encodeForwardOnly(enc);
        device.queue.submit([enc.finish()]);
        const o = await eng.readOutputs();
        const h = await eng.readLastState();
        for (let b = 0; b < B; b++) {
          const one = referenceCells(c, w, alone(c, batch, b, lengths[b]));
          const mine = Array.from({ length: lengths[b] * Q }, (_, i) => o[(Math.floor(i / Q) * B + b) * Q + (i % Q)]);
          expect(relErr(mine, one.o)).toBeLessThan(1e-6);
          for (let l = 0; l < 2; l++) expect(relErr(h.subarray(l * B * H + b * H, l * B * H + (b + 1) * H), one.hLast[l])).toBeLessThan(1e-6);
        }
      } finally {
        eng.destroy();
      }
      expect(liveMemory(device)).toEqual(before);
    }
  });

  it('encodeKeepState continues a sequence: two calls of 3 steps equal one of 6', async () => {
    const device = await gpu();
    const c = denseConfig('lstm', 2);
    const w = weightsOf(c, 11);
    const B = 2, batch = batchOf(c, B, 6, 12);
    const ref = referenceCells(c, w, batch);
    const eng = new BpttEngine(device, { config: c, batch: B, steps: 3, forwardOnly: true });
    try {
      eng.writeWeights(w);
      eng.writeH0();
      const outs: number[] = [];
      for (let k = 0; k < 2; k++) {
        eng.writeInputs({ x: Array.from(batch.x!).slice(k * 3 * B * 3, (k + 1) * 3 * B * 3) });
        const enc = device.createCommandEncoder();
        if (k > 0) eng.encodeKeepState(enc);
        eng.encodeForwardOnly(enc);
        device.queue.submit([enc.finish()]);
        outs.push(...(await eng.readOutputs()));
      }
      expect(relErr(outs, ref.o)).toBeLessThan(1e-6);
      expect(relErr((await eng.readLastCell()).subarray(B * 4), ref.cLast![1])).toBeLessThan(1e-6);
    } finally {
      eng.destroy();
    }
  });
});

describe('bad lengths and weights are refused before any GPU work', () => {
  it('names the field, the value and the rule', async () => {
    const device = await gpu();
    const c = denseConfig('gru', 1);
    const eng = new BpttEngine(device, { config: c, batch: 2, steps: 3 });
    try {
      const batch = batchOf(c, 2, 3, 13);
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ lengths: [3] }, 'lengths', /must have B = 2 entries/],
        [{ lengths: [3, 4] }, 'lengths[1]', /integer in \[0, 3\]/],
        [{ lengths: [1.5, 2] }, 'lengths[0]', /integer in \[0, 3\]/],
        [{ lossWeights: [1, 1, 1, -1, 1, 1] }, 'lossWeights[3]', /finite number ≥ 0/],
        [{ lossWeights: [1, 1] }, 'lossWeights', /must have T·B = 6 entries/],
        [{ lengths: [0, 0] }, 'lengths', /must carry loss weight/],
        [{ lengths: [1, 1], lossWeights: [0, 0, 1, 1, 1, 1] }, 'lossWeights', /must carry loss weight/],
      ];
      for (const [extra, field, rule] of cases) {
        let err: unknown;
        try {
          eng.writeBatch({ x: batch.x, y: batch.y, ...extra });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(BpttError);
        expect((err as BpttError).field).toBe(field);
        expect((err as BpttError).message).toMatch(rule);
      }
      // padded steps may hold anything: NaN there is not read
      const x = Array.from(batch.x!);
      x[2 * 2 * 3 + 3] = NaN; // t = 2, b = 1, feature 0
      expect(() => eng.writeBatch({ x, y: batch.y, lengths: [3, 2] })).not.toThrow();
      expect(() => eng.writeBatch({ x, y: batch.y })).toThrow(/x\[15\] = NaN/);
    } finally {
      eng.destroy();
    }
  });
});

describe('what padded batches cannot do, refused by name (review findings)', () => {
  it('streaming TBPTT, carryFrom without carry, a forward-only Trainer, writeInputs on a training engine', async () => {
    const { StreamingTbptt } = await import('../src/engine/streaming');
    const { Trainer } = await import('../src/engine/trainer');
    const device = await gpu();
    const c = tokenConfig('rnn', 1);
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as BpttError).field;
      }
      return 'no error';
    };
    const afield = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        return (e as BpttError).field;
      }
      return 'no error';
    };
    const stream = new StreamingTbptt(device, { config: c, batch: 2, k1: 1, k2: 2 });
    try {
      const b = batchOf(c, 2, 2, 14);
      expect(await afield(() => stream.step({ tokens: b.tokens, targets: b.targets, lengths: [2, 1] }))).toBe('lengths');
      expect(await afield(() => stream.step({ tokens: b.tokens, targets: b.targets, lossWeights: [1, 1, 1, 1] }))).toBe('lossWeights');
    } finally {
      stream.destroy();
    }
    expect(field(() => new Trainer(device, { config: c, batch: 2, steps: 2, forwardOnly: true } as never))).toBe('forwardOnly');
    const tr = new Trainer(device, { config: c, batch: 2, steps: 2 });
    try {
      const b = batchOf(c, 2, 2, 15);
      expect(await afield(() => tr.step({ tokens: b.tokens, targets: b.targets, carryFrom: 1 }))).toBe('carryFrom');
      expect(field(() => tr.engine.writeInputs({ tokens: b.tokens }))).toBe('writeInputs');
    } finally {
      tr.destroy();
    }
  });

  it('a forward-only window is sized by the forward buffers alone', async () => {
    const { chooseChunk } = await import('../src/engine/plan');
    const c = validateConfig({ cell: 'gru', input: 'dense', inputSize: 4, hidden: 64, outputSize: 2, activation: 'tanh', bias: true, loss: 'mse' });
    const limits = { maxBufferSize: 1 << 20, maxStorageBufferBindingSize: 1 << 20, maxComputeWorkgroupsPerDimension: 65535 };
    // the largest per-step forward buffer is gates (B·4H floats = 16 KiB at B = 16): 64 steps in 1 MiB;
    // training also holds dG with GRU's dGh (B·3H·2 floats = 24 KiB): 42 steps
    expect(chooseChunk(c, 16, 200, limits, 1, true)).toBe(64);
    expect(chooseChunk(c, 16, 200, limits)).toBe(42);
  });

  it('the reference reads no padded target (NaN there is harmless), and a length-0 sequence adds nothing', () => {
    const c = denseConfig('gru', 1);
    const w = weightsOf(c, 16);
    const batch = batchOf(c, 2, 3, 17);
    const y = Array.from(batch.y!);
    y[(2 * 2 + 1) * 2] = NaN; // t = 2, b = 1 is padding
    const a = referenceCells(c, w, { ...batch, y }, { lengths: [3, 2] });
    const b = referenceCells(c, w, batch, { lengths: [3, 2] });
    expect(a.loss).toBe(b.loss);
    const zero = referenceCells(c, w, batch, { lengths: [3, 0] });
    const first = referenceCells(c, w, alone(c, batch, 0, 3));
    expect(Math.abs(zero.loss - first.loss) / first.loss).toBeLessThan(1e-14);
    expect(() => referenceCells(c, w, batch, { lengths: [0, 0] })).toThrow(/must carry loss weight/);
  });
});
