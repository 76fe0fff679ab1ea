// The examples in examples/ run from the command line (each its own Node
// process, as a user runs it) at a tiny size, print their held-out metric,
// and the forecasting one stays within TF.js's 32 lines.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function run(name: string, ...args: string[]): string {
  return execFileSync(process.execPath, ['--import', './scripts/register.mjs', `examples/${name}.ts`, ...args], {
    cwd: root,
    env: { ...process.env, EXAMPLE_SIZE: 'tiny' },
    encoding: 'utf8',
    timeout: 170_000,
  });
}

describe('examples (EXAMPLE_SIZE=tiny)', () => {
  it('forecasting: trains, predicts, prints a finite held-out MSE; data included, at most 32 lines', () => {
    expect(readFileSync(join(root, 'examples/forecasting.ts'), 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(32);
    const out = run('forecasting');
    const mse = Number(/held-out MSE ([\d.]+)/.exec(out)?.[1]);
    console.log(out.trim().split('\n').at(-1));
    expect(Number.isFinite(mse)).toBe(true);
  }, 180_000);

  it('classification: many-to-one accuracy in [0, 1], probabilities from predict', () => {
    const out = run('classification');
    const acc = Number(/held-out accuracy ([\d.]+)/.exec(out)?.[1]);
    console.log(out.trim().split('\n').at(-1));
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(acc).toBeLessThanOrEqual(1);
  }, 180_000);

  it('variable-length: ragged rows train; the stream after the last token agrees with predict', () => {
    const dir = mkdtempSync(join(tmpdir(), 'examples-'));
    try {
      const out = run('variable-length', '--dump', join(dir, 'd.json'));
      const streamed = /token by token:.* (\d\.\d\d)\n/.exec(out)?.[1];
      const whole = /predict on the whole sequence: (\d\.\d\d)/.exec(out)?.[1];
      console.log(out.trim().split('\n').slice(-2).join('\n'));
      expect(streamed).toBeDefined();
      expect(streamed).toBe(whole);
      // the dump the PyTorch comparison reads: the ragged rows as they were trained on
      const d = JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8'));
      expect(d.xTrain).toHaveLength(32);
      expect(new Set(d.xTrain.map((s: number[]) => s.length)).size).toBeGreaterThan(1);
      expect(d.spec.input).toEqual({ tokens: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
