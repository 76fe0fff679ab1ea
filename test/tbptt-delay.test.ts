// The delay task as a library function: each target is the token `lag`
// steps earlier in the same stream, across window boundaries; seeded; the
// same stream as the demo's delaySource; bad input named before any work.
import { describe, it, expect } from 'vitest';
import { delayTask, DELAY_ALPHABET } from '../src/data/delay';
import { BpttError } from '../src/errors';
import { delaySource } from '../demo/data';

/** Stream b of `windows` minibatches, concatenated: tokens and targets. */
function streams(lag: number, B: number, T: number, seed: number, windows: number) {
  const task = delayTask(lag, B, T, seed);
  const tokens: number[][] = Array.from({ length: B }, () => []);
  const targets: number[][] = Array.from({ length: B }, () => []);
  const states: string[] = [];
  for (let w = 0; w < windows; w++) {
    const mb = task.next();
    states.push(mb.state);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        tokens[b].push(mb.tokens[t * B + b]);
        targets[b].push(mb.targets[t * B + b]);
      }
    }
  }
  return { tokens, targets, states };
}

describe('delayTask', () => {
  it('targets the token lag steps earlier, across window boundaries', () => {
    for (const lag of [1, 3, 7, 12]) {
      const { tokens, targets, states } = streams(lag, 3, 5, 42, 6);
      expect(states).toEqual(['reset', 'carry', 'carry', 'carry', 'carry', 'carry']);
      for (let b = 0; b < 3; b++) {
        expect(tokens[b].every((x) => Number.isInteger(x) && x >= 0 && x < DELAY_ALPHABET)).toBe(true);
        for (let t = lag; t < tokens[b].length; t++) expect(targets[b][t]).toBe(tokens[b][t - lag]);
      }
    }
  });

  it('is seeded: the same seed gives the same symbols, another seed others', () => {
    const a = streams(4, 2, 8, 7, 3), b = streams(4, 2, 8, 7, 3), c = streams(4, 2, 8, 8, 3);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.targets).toEqual(b.targets);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it('uses every symbol about equally often', () => {
    const { tokens } = streams(2, 4, 64, 1, 8);
    const counts = new Array(DELAY_ALPHABET).fill(0);
    tokens.flat().forEach((x) => counts[x]++);
    const n = tokens.flat().length;
    for (const k of counts) expect(Math.abs(k / n - 1 / DELAY_ALPHABET)).toBeLessThan(0.03);
  });

  it("gives the same minibatches as the demo's delaySource", () => {
    const mine = delayTask(5, 4, 6, 3), demo = delaySource(5, 4, 6, 3);
    expect(demo.vocabSize).toBe(mine.vocabSize);
    for (let w = 0; w < 4; w++) {
      const a = mine.next(), b = demo.next();
      expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
      expect(Array.from(a.targets)).toEqual(Array.from(b.targets));
      expect(a.state).toBe(b.state);
      expect(a.starts).toEqual(b.starts);
    }
  });

  it('names the field, the value and the limit of bad input', () => {
    const bad: [() => unknown, string][] = [
      [() => delayTask(0, 2, 4), 'lag'],
      [() => delayTask(2.5, 2, 4), 'lag'],
      [() => delayTask(2, 0, 4), 'batch'],
      [() => delayTask(2, 2, -1), 'steps'],
      [() => delayTask(2, 2, 4, -3), 'seed'],
    ];
    for (const [f, field] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpttError);
      expect((err as BpttError).field).toBe(field);
      expect((err as BpttError).limit).toMatch(/integer/);
    }
  });
});
