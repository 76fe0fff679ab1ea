// The truncation strategies' own arithmetic, no GPU: the multipliers ξ_t of
// full, regular(τ), randomized(π) and explicit ξ, the segments they cut a
// window into, the spec form, and bad parameters refused by name. (Their
// gradients on the GPU are in step.test.ts, tbptt.test.ts and chunking.test.ts.)
import { describe, it, expect } from 'vitest';
import { full, regular, randomized, explicit, segments, truncationFrom } from '../src/engine/truncation';
import { createRng } from '../src/util/rng';
import { BpttError } from '../src/errors';

describe('truncation strategies', () => {
  it('multipliers and segments', () => {
    expect(Array.from(full().multipliers(4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(regular(3).multipliers(8))).toEqual([1, 1, 1, 0, 1, 1, 0, 1]);
    expect(segments(regular(3).multipliers(8))).toEqual([[0, 3], [3, 6], [6, 8]]);
    const xi = randomized([1, 0.5, 0.25, 1]).multipliers(4, createRng(3));
    xi.forEach((v, t) => expect([0, 1 / [1, 0.5, 0.25, 1][t]]).toContain(v));
    expect(Array.from(randomized(0.3).multipliers(20, createRng(9)))).toEqual(Array.from(randomized(0.3).multipliers(20, createRng(9))));
    expect(Array.from(explicit([1, 2]).multipliers(2))).toEqual([1, 2]);
    expect(truncationFrom({ kind: 'regular', tau: 4 }).describe).toBe('regular(τ=4)');
  });
  it('bad parameters name the field', () => {
    expect(() => regular(0)).toThrow(BpttError);
    expect(() => regular(2.5)).toThrow(/truncation\.tau = 2\.5: must be an integer ≥ 1/);
    expect(() => randomized(0)).toThrow(/truncation\.pi = 0: must be in \(0, 1\]/);
    expect(() => randomized([0.5, 2])).toThrow(/truncation\.pi\[1\] = 2/);
    expect(() => regular(10).check(5)).toThrow(/truncation\.tau = 10: must be ≤ the window length steps = 5/);
    expect(() => explicit([1, NaN])).toThrow(/xi\[1\] = NaN/);
    expect(() => truncationFrom({ kind: 'weird' } as never)).toThrow(/truncation\.kind = "weird"/);
  });
});
