// The model API's array parsing: layout (batch-major, padded, lengths),
// ragged rows, typed arrays, and every bad input refused with a BpttError
// naming the index, the expected shape and the one found (no GPU involved).
import { describe, expect, it } from 'vitest';
import { parseInputs, parseTargets } from '../src/api/arrays';
import { timeMajor } from '../src/api/batches';
import { checkSpec } from '../src/api/spec';
import { BpttError } from '../src/errors';

const dense = checkSpec({ hidden: 4, input: { features: 2 }, output: { regression: 1 } });
const denseSeq = checkSpec({ hidden: 4, input: { features: 2 }, output: { regression: 1 }, returnSequences: true });
const tokens = checkSpec({ hidden: 4, input: { tokens: 5 }, output: { classes: 3 } });
const tokensSeq = checkSpec({ hidden: 4, input: { tokens: 5 }, output: { classes: 3 }, returnSequences: true });

function err(f: () => unknown): BpttError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BpttError);
    return e as BpttError;
  }
  throw new Error('expected a BpttError');
}

describe('parseInputs: layout', () => {
  it('pads ragged dense rows to the longest and keeps each row length', () => {
    const x = [[[1, 2], [3, 4], [5, 6]], [[7, 8]]];
    const p = parseInputs(dense, x);
    expect([p.N, p.T, p.width]).toEqual([2, 3, 2]);
    expect([...p.lengths]).toEqual([3, 1]);
    expect([...p.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
  });
  it('takes typed data with its shape, and lengths that cut it', () => {
    const p = parseInputs(tokens, { data: new Uint8Array([1, 2, 3, 4, 0, 0]), shape: [2, 3] }, [3, 1]);
    expect([...p.lengths]).toEqual([3, 1]);
    expect([...p.data]).toEqual([1, 2, 3, 4, 0, 0]);
  });
  it('timeMajor puts row t·B + b, fills a short batch with length-0 sequences and weighs the last real step', () => {
    const x = [[[1, 2], [3, 4], [5, 6]], [[7, 8]]];
    const p = parseInputs(dense, x);
    const y = parseTargets(dense, [10, 20], p);
    const b = timeMajor(p, y, [1, 0], 3, 3, 1); // B = 3: one fill sequence
    expect([...b.lengths]).toEqual([1, 3, 0]);
    // x: t = 0: seq1 (7,8), seq0 (1,2), fill; t = 1: 0, (3,4), 0; t = 2: 0, (5,6), 0
    expect([...b.x!]).toEqual([7, 8, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0]);
    // the target at each last real step, weight 1 there only
    expect([...b.y!]).toEqual([20, 0, 0, 0, 0, 0, 0, 10, 0]);
    expect([...b.lossWeights!]).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(b.count).toBe(2);
  });
  it('per-step class targets, time-major, no loss weights (mean over real positions)', () => {
    const p = parseInputs(tokensSeq, [[1, 2], [3]]);
    const y = parseTargets(tokensSeq, [[0, 1], [2]], p);
    const b = timeMajor(p, y, [0, 1], 2, 2, 3);
    expect([...b.tokens!]).toEqual([1, 3, 2, 0]);
    expect([...b.targets!]).toEqual([0, 2, 1, 0]);
    expect(b.lossWeights).toBeUndefined();
  });
  it('regression y per sequence as [N][Q] or, for Q = 1, [N]', () => {
    const p = parseInputs(dense, [[[1, 2]], [[3, 4]]]);
    expect([...parseTargets(dense, [[0.5], [1.5]], p).data]).toEqual([0.5, 1.5]);
    expect([...parseTargets(dense, [0.5, 1.5], p).data]).toEqual([0.5, 1.5]);
    expect([...parseTargets(dense, { data: new Float32Array([0.5, 1.5]), shape: [2, 1] }, p).data]).toEqual([0.5, 1.5]);
  });
});

describe('parseInputs and parseTargets: errors before any GPU work', () => {
  it('a step with the wrong number of features names the index, [N][T][d] and the shape found', () => {
    const e = err(() => parseInputs(dense, [[[1, 2], [3, 4]], [[1, 2], [3, 4, 5]]]));
    expect(e.field).toBe('x[1][1]');
    expect(e.message).toContain('[N][T][d] = [2][T][2]');
    expect(e.message).toContain('found [2][2][3]');
  });
  it('token ids given to a dense model are refused by name', () => {
    const e = err(() => parseInputs(dense, [[1, 2, 3]]));
    expect(e.field).toBe('x[0][0]');
    expect(e.message).toContain('a number where [2] features were expected');
    expect(e.message).toContain('token ids go to a model with input { tokens: V }');
    expect(e.message).toContain('[N][T][d]');
  });
  it('dense features given to a token model are refused by name', () => {
    const e = err(() => parseInputs(tokens, [[[0.1, 0.2]]]));
    expect(e.field).toBe('x[0][0]');
    expect(e.message).toContain('a token model (input.tokens = 5) takes x as [N][T]');
    expect(e.message).toContain('dense features go to a model with input { features: d }');
    const s = err(() => parseInputs(tokens, { data: new Float32Array(8), shape: [2, 2, 2] }));
    expect(s.field).toBe('x.shape');
    expect(s.message).toContain('is dense data');
  });
  it('a NaN is named with its index', () => {
    const e = err(() => parseInputs(dense, [[[0, 0]], [[0, 0]], [[0, 0]], [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, NaN]]]));
    expect(e.message).toBe('x[3][7][1] = NaN: must be finite');
    const t = err(() => parseInputs(dense, { data: new Float32Array([0, 0, Infinity, 0]), shape: [1, 2, 2] }));
    expect(t.message).toBe('x[0][1][0] = Infinity: must be finite');
    const p = parseInputs(denseSeq, [[[0, 0], [0, 0]]]);
    expect(err(() => parseTargets(denseSeq, [[[1], [NaN]]], p)).message).toBe('y[0][1][0] = NaN: must be finite');
  });
  it('a token id out of range, and a typed array whose shape does not match its data', () => {
    expect(err(() => parseInputs(tokens, [[0, 5]])).message).toBe('x[0][1] = 5: must be an integer token id in [0, 4]');
    const e = err(() => parseInputs(dense, { data: new Float32Array(7), shape: [2, 2, 2] }));
    expect(e.field).toBe('x.data');
    expect(e.message).toContain('[2][2][2] = 8 values');
    const d = err(() => parseInputs(dense, { data: new Float32Array(12), shape: [2, 2, 3] }));
    expect(d.message).toContain('must be [N][T][d] = [N][T][2]');
  });
  it('lengths: one per sequence, each in [1, T], rows at least that long', () => {
    expect(err(() => parseInputs(tokens, [[1, 2], [3, 4]], [2])).message).toContain('one length per sequence (N = 2)');
    expect(err(() => parseInputs(tokens, { data: new Uint32Array(4), shape: [2, 2] }, [2, 3])).message).toBe('lengths[1] = 3: must be an integer in [1, 2] (T, the steps of x)');
    expect(err(() => parseInputs(tokens, [[1, 2], [3]], [2, 2])).message).toBe('x[1] = 1 steps: must hold at least lengths[1] = 2 steps');
    expect(err(() => parseInputs(tokens, [[1, 2], []])).field).toBe('x[n].length[1]');
  });
  it('targets shaped to the head: the expected shape and the one found', () => {
    const p = parseInputs(tokens, [[1, 2], [3, 4]]);
    const n = err(() => parseTargets(tokens, [0], p));
    expect(n.message).toContain('one entry per sequence of x (N = 2)');
    expect(n.message).toContain('y must be [N] = [2]');
    const seq = err(() => parseTargets(tokens, [[0, 1], [1, 1]], p));
    expect(seq.field).toBe('y[0]');
    expect(seq.message).toContain('per-step targets need returnSequences: true');
    expect(err(() => parseTargets(tokens, [0, 3], p)).message).toBe('y[1] = 3: must be an integer class id in [0, 2]');
    const pd = parseInputs(denseSeq, [[[0, 0], [0, 0]]]);
    const q = err(() => parseTargets(denseSeq, [[[1], [1, 2]]], pd));
    expect(q.field).toBe('y[0][1]');
    expect(q.message).toContain('[N][T][Q] = [1][2][1]');
    expect(q.message).toContain('found [1][2][2]');
  });
});
