// ONNX export against ONNX Runtime: every exported model (rnn, LSTM, GRU ×
// 1 and 3 layers × dense and token inputs × every-step and last-step heads ×
// with and without sequence lengths) runs in ONNX Runtime (onnxruntime-web's
// wasm backend in Node: ONNX Runtime's own CPU kernels) and gives our GPU
// forward pass's predictions to 1e-5 relative. Also: the state in and out
// (h0/c0 → h_n/c_n) against the float64 reference, the rnn cell's other φ
// and models without biases against the float64 reference, the file's
// declared opset and operators, and bad sources refused by name.
import { describe, it, expect, beforeAll } from 'vitest';
import * as ort from 'onnxruntime-web';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { gpu, relErr } from './gpu';
import { gpuOutputs, lastStep, realRows } from './interop-forward';
import { exportOnnx, ONNX_OPSET } from '../src/interop/onnx';
import { validateConfig, type CellKind, type ModelConfig } from '../src/model/config';
import { initWeights, type Weights } from '../src/model/params';
import { referenceCells } from '../src/reference/cells64';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
});

const B = 3, T = 4, D = 3, V = 5, H = 4;
const LENGTHS = [4, 2, 3];

function data(c: ModelConfig) {
  const rng = createRng(7);
  return c.input === 'tokens'
    ? { tokens: Array.from({ length: T * B }, () => Math.floor(rng.next() * V)) }
    : { x: Array.from({ length: T * B * D }, () => rng.normal()) };
}

function softmaxRows(z: ArrayLike<number>, Q: number): Float64Array {
  const out = new Float64Array(z.length);
  for (let r = 0; r < z.length / Q; r++) {
    let m = -Infinity, s = 0;
    for (let q = 0; q < Q; q++) m = Math.max(m, z[r * Q + q]);
    for (let q = 0; q < Q; q++) s += Math.exp(z[r * Q + q] - m);
    for (let q = 0; q < Q; q++) out[r * Q + q] = Math.exp(z[r * Q + q] - m) / s;
  }
  return out;
}

/** ONNX Runtime's `output` (regression) or `logits` (classes, after checking `output` is their softmax). */
async function runOnnx(bytes: Uint8Array, c: ModelConfig, inp: { tokens?: number[]; x?: number[] }, lengths?: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> =
      c.input === 'tokens' ? { tokens: new ort.Tensor('int64', BigInt64Array.from(inp.tokens!.map(BigInt)), [T, B]) } : { x: new ort.Tensor('float32', Float32Array.from(inp.x!), [T, B, D]) };
    if (lengths) feeds.lengths = new ort.Tensor('int32', Int32Array.from(lengths), [B]);
    const r = await session.run(feeds);
    if (c.loss !== 'softmax-xent') return r.output.data as Float32Array;
    // a classifier: `output` is softmax(`logits`), as Model.predict gives; the logits are compared
    const logits = r.logits.data as Float32Array, Q = c.outputSize;
    expect(relErr(r.output.data as Float32Array, softmaxRows(logits, Q))).toBeLessThan(1e-6);
    return logits;
  } finally {
    await session.release();
  }
}

function config(cell: CellKind, layers: number, input: 'dense' | 'tokens', extra: Partial<ModelConfig> = {}): ModelConfig {
  return validateConfig({
    cell, layers, input, inputSize: input === 'tokens' ? V : D, hidden: H,
    outputSize: input === 'tokens' ? V : 2, activation: 'tanh', bias: true, loss: input === 'tokens' ? 'softmax-xent' : 'mse', ...extra,
  });
}

describe('exported models in ONNX Runtime match our GPU forward', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    for (const layers of [1, 3]) {
      for (const input of ['dense', 'tokens'] as const) {
        it(`${cell} × ${layers} layers, ${input} input: both heads, with and without lengths`, async () => {
          const device = await gpu();
          const c = config(cell, layers, input);
          const w = initWeights(c, createRng(layers * 10 + cell.length));
          const inp = data(c), Q = c.outputSize;
          const rows: string[] = [];
          for (const lengths of [undefined, LENGTHS]) {
            const ours = await gpuOutputs(device, c, w, { B, T, ...inp, lengths });
            for (const returnSequences of [true, false]) {
              const bytes = await exportOnnx({ config: c, weights: w, returnSequences }, { lengths: lengths !== undefined });
              const theirs = await runOnnx(bytes, c, inp, lengths);
              const [a, b] = returnSequences
                ? [realRows(theirs, B, T, Q, lengths), realRows(ours, B, T, Q, lengths)]
                : [theirs, lastStep(ours, B, T, Q, lengths)];
              expect(a.length).toBe(returnSequences ? (lengths ? LENGTHS.reduce((s, l) => s + l, 0) : T * B) * Q : B * Q);
              const err = relErr(a, b);
              rows.push(`${returnSequences ? 'every step' : 'last step'}${lengths ? ' +lengths' : ''}: ${err.toExponential(1)}`);
              expect(err, rows.at(-1)).toBeLessThan(1e-5);
            }
          }
          console.log(`onnx ${cell}×${layers} ${input}: ${rows.join(' | ')}`);
        });
      }
    }
  }
});

describe('against the float64 reference', () => {
  const cases: [string, ModelConfig][] = [
    ['rnn φ = identity (Affine α = 1, β = 0)', config('rnn', 1, 'dense', { activation: 'identity' })],
    ['rnn φ = relu, 2 layers', config('rnn', 2, 'dense', { activation: 'relu' })],
    ['lstm without biases, 2 layers', config('lstm', 2, 'tokens', { bias: false })],
    ['gru without biases', config('gru', 1, 'dense', { bias: false })],
    ['the chapter model without biases', config('rnn', 1, 'tokens', { bias: false })],
  ];
  for (const [name, c] of cases) {
    it(name, async () => {
      const w = initWeights(c, createRng(3));
      const inp = data(c);
      const ref = referenceCells(c, w, { B, T, ...inp, targets: new Uint32Array(T * B), y: new Float64Array(T * B * c.outputSize) });
      const err = relErr(await runOnnx(await exportOnnx({ config: c, weights: w, returnSequences: true }), c, inp), ref.o);
      console.log(`onnx ${name}: ${err.toExponential(1)}`);
      expect(err).toBeLessThan(1e-5);
    });
  }
});

describe('the state in and out (options.state)', () => {
  const cases: [string, ModelConfig][] = [
    ['lstm × 2, tokens', config('lstm', 2, 'tokens')],
    ['gru × 3, dense', config('gru', 3, 'dense')],
    ['the chapter model (rnn × 1, relu), dense', config('rnn', 1, 'dense', { activation: 'relu' })],
  ];
  for (const [name, c] of cases) {
    it(`${name}: h0/c0 in, h_n/c_n out, with lengths, against the float64 reference`, async () => {
      const w = initWeights(c, createRng(8));
      const inp = data(c), L = c.layers, Q = c.outputSize;
      const rng = createRng(12);
      const h0 = Array.from({ length: L }, () => Array.from({ length: B * H }, () => rng.normal() * 0.5));
      const c0 = c.cell === 'lstm' ? Array.from({ length: L }, () => Array.from({ length: B * H }, () => rng.normal() * 0.5)) : undefined;
      const ref = referenceCells(c, w, { B, T, ...inp, targets: new Uint32Array(T * B), y: new Float64Array(T * B * Q) }, { h0, c0, lengths: LENGTHS });
      const session = await ort.InferenceSession.create(await exportOnnx({ config: c, weights: w, returnSequences: true }, { lengths: true, state: true }));
      const feeds: Record<string, ort.Tensor> =
        c.input === 'tokens' ? { tokens: new ort.Tensor('int64', BigInt64Array.from(inp.tokens!.map(BigInt)), [T, B]) } : { x: new ort.Tensor('float32', Float32Array.from(inp.x!), [T, B, D]) };
      feeds.lengths = new ort.Tensor('int32', Int32Array.from(LENGTHS), [B]);
      feeds.h0 = new ort.Tensor('float32', Float32Array.from(h0.flat()), [L, B, H]);
      if (c0) feeds.c0 = new ort.Tensor('float32', Float32Array.from(c0.flat()), [L, B, H]);
      const r = await session.run(feeds);
      await session.release();
      const o = (c.loss === 'softmax-xent' ? r.logits : r.output).data as Float32Array;
      const errs = [
        relErr(realRows(o, B, T, Q, LENGTHS), realRows(ref.o, B, T, Q, LENGTHS)),
        relErr(r.h_n.data as Float32Array, Float64Array.from(ref.hLast.flatMap((h) => Array.from(h)))),
        c0 ? relErr(r.c_n.data as Float32Array, Float64Array.from(ref.cLast!.flatMap((h) => Array.from(h)))) : 0,
      ];
      expect(r.h_n.dims).toEqual([L, B, H]);
      console.log(`onnx state ${name}: outputs ${errs[0].toExponential(1)}, h_n ${errs[1].toExponential(1)}${c0 ? `, c_n ${errs[2].toExponential(1)}` : ''}`);
      for (const e of errs) expect(e).toBeLessThan(1e-5);
    });
  }
});

describe('the file', () => {
  it('declares opset 17, IR 8, standard operators only, PyTorch gate blocks reordered', async () => {
    const c = config('lstm', 2, 'tokens');
    const w = initWeights(c, createRng(1));
    const m = fromBinary(ModelProtoSchema, await exportOnnx({ config: c, weights: w }, { lengths: true }));
    expect(ONNX_OPSET).toBe(17);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(Number(m.irVersion)).toBe(8);
    expect(m.graph!.node.map((n) => n.opType)).toEqual(['OneHot', 'LSTM', 'Squeeze', 'LSTM', 'Squeeze', 'MatMul', 'Add', 'Softmax']);
    expect(m.graph!.input.map((i) => i.name)).toEqual(['tokens', 'lengths']);
    expect(m.graph!.output.map((i) => i.name)).toEqual(['output', 'logits']);
    // ONNX's W block 1 (o) is PyTorch's block 3 (o); block 2 (f) is PyTorch's block 1
    const W = m.graph!.initializer.find((t) => t.name === 'W_l0')!;
    const f = new Float32Array(W.rawData.slice().buffer);
    const blk = H * V;
    expect(Array.from(f.subarray(blk, 2 * blk))).toEqual(Array.from(w.weight_ih_l0.subarray(3 * blk, 4 * blk)));
    expect(Array.from(f.subarray(2 * blk, 3 * blk))).toEqual(Array.from(w.weight_ih_l0.subarray(blk, 2 * blk)));
  });

  it('takes a spec (as a Model holds it) and its returnSequences', async () => {
    const spec = { cell: 'gru' as const, hidden: H, input: { features: D }, output: { regression: 2 }, returnSequences: true };
    const c = config('gru', 1, 'dense');
    const w = initWeights(c, createRng(2));
    const m = fromBinary(ModelProtoSchema, await exportOnnx({ spec, weights: w }));
    const dims = m.graph!.output[0].type!.value.value as { shape: { dim: { value: { value: unknown } }[] } };
    expect(dims.shape.dim.map((d) => d.value.value)).toEqual(['steps', 'batch', 2n]);
  });

  it('refuses bad sources by name before any work', async () => {
    const c = config('lstm', 1, 'dense');
    const w: Weights = initWeights(c, createRng(1));
    const bad: [unknown, RegExp][] = [
      [null, /^source = null: must be/],
      [{ weights: w }, /^source = neither config nor spec: needs exactly one of config, spec/],
      [{ config: { ...c, hidden: 0 }, weights: w }, /^source\.config\.hidden = 0: must be an integer/],
      [{ config: c, weights: { ...w, weight_hh_l0: new Float32Array(3) } }, /^source\.weights\.weight_hh_l0 = length 3: must have 16×4 = 64 elements/],
      [{ config: c, weights: w, returnSequences: 'yes' }, /^source\.returnSequences = "yes": must be true or false/],
      [{ spec: { hidden: 4, input: { features: 3 } }, weights: w }, /^source\.spec\.output = undefined/],
    ];
    for (const [src, msg] of bad) {
      const e = await exportOnnx(src as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BpttError);
      expect((e as Error).message).toMatch(msg);
    }
  });
});
