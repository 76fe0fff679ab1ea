// `webgpu-bptt export CHECKPOINT.safetensors MODEL.onnx` (the CLI's main, in
// process): the file it writes runs in ONNX Runtime and gives the float64
// reference's outputs (every step; last step with --lengths; logits, and
// their softmax as `output`); the head
// follows the checkpoint's metadata unless --head says; bad command lines
// exit 2 with one line naming the argument, and nothing is written.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { main } from '../src/cli/main';
import { EXPORT } from '../src/cli/export';
import { helpText } from '../src/cli/args';
import { saveCheckpoint } from '../src/model/checkpoint';
import { encodeModel } from '../src/api/format';
import { checkSpec } from '../src/api/spec';
import { validateConfig, type ModelConfig } from '../src/model/config';
import { initWeights, type Weights } from '../src/model/params';
import { referenceCells } from '../src/reference/cells64';
import { createRng } from '../src/util/rng';
import { relErr } from './gpu';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const dir = mkdtempSync(join(tmpdir(), 'cli-export-'));
const config: ModelConfig = validateConfig({ cell: 'lstm', layers: 2, input: 'tokens', inputSize: 6, hidden: 5, outputSize: 6, activation: 'tanh', bias: true, loss: 'softmax-xent' });
const weights: Weights = initWeights(config, createRng(4));
const B = 2, T = 5, Q = 6;
const tokens = [0, 1, 2, 3, 4, 5, 5, 4, 3, 2];

function checkpoint(name: string, extra?: Record<string, string>): string {
  const path = join(dir, name);
  writeFileSync(path, saveCheckpoint({ config, weights, step: 3, extra }));
  return path;
}

async function cli(...argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await main(argv), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** The file's `logits` (its `output` is their softmax, checked here). */
async function runOnnx(file: string, lengths?: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const s = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)));
  const feeds: Record<string, ort.Tensor> = { tokens: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [T, B]) };
  if (lengths) feeds.lengths = new ort.Tensor('int32', Int32Array.from(lengths), [B]);
  const r = await s.run(feeds);
  await s.release();
  const logits = r.logits.data as Float32Array, probs = r.output.data as Float32Array;
  expect(r.output.dims).toEqual(r.logits.dims);
  for (let row = 0; row < logits.length / Q; row++) {
    const z = logits.subarray(row * Q, (row + 1) * Q), m = Math.max(...z);
    const sum = z.reduce((a, v) => a + Math.exp(v - m), 0);
    for (let q = 0; q < Q; q++) expect(Math.abs(probs[row * Q + q] - Math.exp(z[q] - m) / sum)).toBeLessThan(1e-6);
  }
  return { data: logits, dims: r.logits.dims };
}

/** The float64 reference's o (T', 1, Q) of sequence b alone, over its first `len` steps. */
function referenceSeq(b: number, len: number): Float64Array {
  const seq = Array.from({ length: len }, (_, t) => tokens[t * B + b]);
  return referenceCells(config, weights, { B: 1, T: len, tokens: seq, targets: new Uint32Array(len) }).o;
}

afterEach(() => vi.restoreAllMocks());

describe('webgpu-bptt export', () => {
  it('writes an ONNX file whose every-step outputs are the reference\'s', async () => {
    const out = join(dir, 'every.onnx');
    const r = await cli('export', checkpoint('every.safetensors'), out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^wrote .*every\.onnx \(\d+ bytes, ONNX opset 17\): lstm × 2, H = 5; input tokens int64 \[T, B\]; output \[T, B, 6\] \(class probabilities; logits \[T, B, 6\] too\)$/);
    const { data, dims } = await runOnnx(out);
    expect(dims).toEqual([T, B, Q]);
    const ref = referenceCells(config, weights, { B, T, tokens, targets: new Uint32Array(T * B) }).o;
    const err = relErr(data, ref);
    console.log(`cli export every step vs float64 reference: ${err.toExponential(1)}`);
    expect(err).toBeLessThan(1e-5);
  });

  it('--head last-step --lengths: each sequence\'s output at its last real step', async () => {
    const out = join(dir, 'last.onnx');
    const r = await cli('export', checkpoint('last.safetensors'), out, '--head', 'last-step', '--lengths');
    expect(r.code).toBe(0);
    expect(r.out[0]).toContain('lengths int32 [B]; output [B, 6] (class probabilities; logits [B, 6] too)');
    const lengths = [3, 5];
    const { data, dims } = await runOnnx(out, lengths);
    expect(dims).toEqual([B, Q]);
    const want = new Float64Array(B * Q);
    lengths.forEach((len, b) => want.set(referenceSeq(b, len).subarray((len - 1) * Q, len * Q), b * Q));
    const err = relErr(data, want);
    console.log(`cli export last step with lengths vs float64 reference: ${err.toExponential(1)}`);
    expect(err).toBeLessThan(1e-5);
  });

  it("the head follows the checkpoint's metadata (returnSequences, a spec, a Model file's model_spec) unless --head is given", async () => {
    const out = join(dir, 'meta.onnx');
    expect((await cli('export', checkpoint('m1.safetensors', { returnSequences: 'false' }), out)).out[0]).toContain('output [B, 6]');
    expect((await cli('export', checkpoint('m2.safetensors', { spec: JSON.stringify({ returnSequences: false }) }), out)).out[0]).toContain('output [B, 6]');
    expect((await cli('export', checkpoint('m3.safetensors', { returnSequences: 'false' }), out, '--head', 'every-step')).out[0]).toContain('output [T, B, 6]');
    // a file Model.save wrote: its spec (returnSequences defaults to false)
    const spec = checkSpec({ cell: 'lstm', layers: 2, hidden: 5, input: { tokens: 6 }, output: { classes: 6 } });
    const modelFile = join(dir, 'model-api.safetensors');
    writeFileSync(modelFile, encodeModel({ spec, weights, optimizer: null, step: 0 }));
    expect((await cli('export', modelFile, out)).out[0]).toContain('output [B, 6]');
    writeFileSync(modelFile, encodeModel({ spec: { ...spec, returnSequences: true }, weights, optimizer: null, step: 0 }));
    expect((await cli('export', modelFile, out)).out[0]).toContain('output [T, B, 6]');
  });

  it('--state adds the state in and out', async () => {
    const r = await cli('export', checkpoint('state.safetensors'), join(dir, 'state.onnx'), '--state');
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/input tokens int64 \[T, B\], h0 \[2, B, 5\], c0 \[2, B, 5\]; output \[T, B, 6\] .*; h_n, c_n \[2, B, 5\]$/);
    const s = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, 'state.onnx'))));
    expect([...s.inputNames]).toEqual(['tokens', 'h0', 'c0']);
    expect([...s.outputNames]).toEqual(['output', 'logits', 'h_n', 'c_n']);
    await s.release();
  });

  it('--help lists the options', async () => {
    const r = await cli('export', '--help');
    expect(r.code).toBe(0);
    expect(r.out.join('\n').trim()).toBe(helpText(EXPORT));
    expect(r.out.join('\n')).toMatch(/--head every-step\|last-step/);
    expect(r.out.join('\n')).toMatch(/--lengths/);
    expect(r.out.join('\n')).toMatch(/--state/);
  });

  it('bad command lines: exit 2, one line naming the argument, nothing written', async () => {
    const ck = checkpoint('ok.safetensors');
    const out = join(dir, 'never.onnx');
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array([1, 2, 3]));
    const cases: [string[], RegExp][] = [
      [['export', ck], /^webgpu-bptt: MODEL\.onnx = missing: usage: webgpu-bptt export CHECKPOINT\.safetensors MODEL\.onnx/],
      [['export', join(dir, 'absent.safetensors'), out], /^webgpu-bptt: CHECKPOINT\.safetensors = .*absent\.safetensors: cannot be read/],
      [['export', dir, out], /^webgpu-bptt: CHECKPOINT\.safetensors = .*: must be a regular file/],
      [['export', bad, out], /^webgpu-bptt: .*bad\.safetensors/],
      [['export', ck, out, '--head', 'middle'], /^webgpu-bptt: --head = "middle": must be/],
      [['export', checkpoint('odd.safetensors', { returnSequences: 'maybe' }), out], /metadata\.returnSequences = "maybe": must be "true" or "false"/],
      [['export', ck, join(dir, 'no', 'such', 'dir.onnx')], /^webgpu-bptt: MODEL\.onnx = .*dir\.onnx: cannot be written \(ENOENT\)/],
    ];
    for (const [argv, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(msg);
    }
    expect(existsSync(out)).toBe(false);
  });
});
