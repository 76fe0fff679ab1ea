// `webgpu-bptt gradcheck`: the GPU agrees with --reference within 1e-4 for
// every activation and strategy, and malformed cases get a one-line error and
// exit code 2. The CLI's code runs in this process (runCli: the JSON it
// prints, its exit code), on the file's one device for the GPU side (its
// runGradcheck, as the CLI calls it), so no case pays for a process and a
// device of its own; one GPU case and one malformed case also run the built
// CLI as a user does, a child process.
import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gpu, runCli } from './harness';
import { parseCase, runGradcheck } from '../src/cli/gradcheck';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../src/util/rng';

const dir = mkdtempSync(join(tmpdir(), 'gradcheck-'));
const CLI = join(import.meta.dirname, '..', 'bin', 'webgpu-bptt.js');

function makeCase(activation: string, bias: boolean, extra: Record<string, unknown>, seed = 1) {
  const rng = createRng(seed);
  const V = 6, H = 7, B = 2, T = 5;
  const M = (r: number, c: number) => Array.from({ length: r }, () => Array.from({ length: c }, () => 0.4 * rng.normal()));
  const weights: Record<string, unknown> = { W_hx: M(H, V), W_hh: M(H, H), W_qh: M(V, H) };
  if (bias) Object.assign(weights, { b_h: M(1, H)[0], b_q: M(1, V)[0] });
  const ids = () => Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(V)));
  return { config: { vocab: V, hidden: H, activation, bias }, weights, tokens: ids(), targets: ids(), h0: M(B, H), ...extra };
}

function run(file: string, ...flags: string[]) {
  return spawnSync(process.execPath, [CLI, 'gradcheck', file, ...flags], { encoding: 'utf8' });
}

/** What gradcheck prints. */
interface GradcheckJson {
  loss: number;
  grads: Record<string, unknown>;
  h_last: number[][];
}
const device = gpu;

function maxRelPerTensor(a: Record<string, unknown>, b: Record<string, unknown>) {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) {
    const x = (a[k] as number[] | number[][]).flat(), y = (b[k] as number[] | number[][]).flat();
    let num = 0, den = 0;
    y.forEach((v, i) => {
      num = Math.max(num, Math.abs(x[i] - v));
      den = Math.max(den, Math.abs(v));
    });
    out[k] = num / den;
  }
  return out;
}

describe('gradcheck CLI: GPU vs --reference', () => {
  const strategies: [string, Record<string, unknown>][] = [
    ['full', {}],
    ['regular', { truncation: { kind: 'regular', tau: 2 } }],
    ['randomized', { truncation: { kind: 'randomized', pi: 0.5, seed: 3 } }],
    ['xi', { xi: [1, 0.5, 0, 2, 1] }],
  ];
  for (const activation of ['tanh', 'identity', 'relu']) {
    for (const [sname, extra] of strategies) {
      const bias = activation !== 'identity';
      const child = activation === 'tanh' && sname === 'full'; // this one as a user runs it: the built CLI, child processes
      it(`${activation} bias=${bias} ${sname}${child ? ' (the built CLI, child processes)' : ''}`, async () => {
        const file = join(dir, `${activation}-${sname}.json`);
        writeFileSync(file, JSON.stringify(makeCase(activation, bias, extra)));
        let gpu: GradcheckJson, ref: GradcheckJson;
        if (child) {
          gpu = JSON.parse(execFileSync(process.execPath, [CLI, 'gradcheck', file], { encoding: 'utf8' }));
          ref = JSON.parse(execFileSync(process.execPath, [CLI, 'gradcheck', file, '--reference'], { encoding: 'utf8' }));
        } else {
          gpu = JSON.parse(JSON.stringify(await runGradcheck(parseCase(JSON.parse(readFileSync(file, 'utf8'))), await device())));
          const r = await runCli('gradcheck', file, '--reference');
          expect(r.status).toBe(0);
          ref = JSON.parse(r.stdout);
        }
        expect(Object.keys(gpu.grads).sort()).toEqual(bias ? ['W_hh', 'W_hx', 'W_qh', 'b_h', 'b_q'] : ['W_hh', 'W_hx', 'W_qh']);
        const errs = maxRelPerTensor(gpu.grads, ref.grads);
        const hErr = maxRelPerTensor({ h: gpu.h_last }, { h: ref.h_last }).h;
        console.log(`gradcheck ${activation} ${sname}: loss ${Math.abs(gpu.loss - ref.loss).toExponential(1)} ` + Object.entries(errs).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(' ') + ` h_last ${hErr.toExponential(1)}`);
        for (const e of Object.values(errs)) expect(e).toBeLessThan(1e-4);
        expect(hErr).toBeLessThan(1e-5);
        expect(Math.abs(gpu.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
        expect(gpu.h_last.length).toBe(2);
        expect(gpu.h_last[0].length).toBe(7);
      });
    }
  }
});

describe('gradcheck CLI: malformed cases', () => {
  const good = makeCase('tanh', true, {});
  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{"config":', /CASE\.json = .*is not valid JSON/],
    ['hidden 0', { ...good, config: { ...good.config, hidden: 0 } }, /config\.hidden = 0: must be an integer/],
    ['unknown activation', { ...good, config: { ...good.config, activation: 'sigmoid' } }, /config\.activation = "sigmoid": must be one of/],
    ['wrong W_hh shape', { ...good, weights: { ...good.weights, W_hh: [[1, 2]] } }, /weights\.W_hh = array\(1\): must be an array of 7 rows/],
    ['token out of range', { ...good, tokens: [[0, 1, 2, 3, 6], [0, 1, 2, 3, 4]] }, /tokens\[0\]\[4\] = 6: must be an integer in \[0, 5\]/],
    ['negative target', { ...good, targets: [[0, 1, 2, 3, -1], [0, 1, 2, 3, 4]] }, /targets\[0\]\[4\] = -1/],
    ['NaN-like weight', { ...good, weights: { ...good.weights, b_h: [1, 2, 3, 4, 5, 6, 'x'] } }, /weights\.b_h\[6\] = "x": must be a finite number/],
    ['xi too short', { ...good, xi: [1, 1] }, /xi = array\(2\): must be an array of 5 numbers/],
    ['xi and truncation', { ...good, xi: [1, 1, 1, 1, 1], truncation: { kind: 'full' } }, /give either xi or truncation/],
    ['tau 0', { ...good, truncation: { kind: 'regular', tau: 0 } }, /truncation\.tau = 0/],
    ['pi 1.5', { ...good, truncation: { kind: 'randomized', pi: 1.5 } }, /truncation\.pi = 1\.5: must be in \(0, 1\]/],
    ['bias weights with bias off', { ...good, config: { ...good.config, bias: false } }, /weights\.b_h = present: bias is off/],
    ['unknown field', { ...good, extra: 1 }, /extra = present: is not a field/],
  ];
  for (const [name, content, msg] of bad) {
    const child = name === 'not JSON'; // this one through the built CLI, a child process
    it(`${name}${child ? ' (the built CLI, a child process)' : ''}`, async () => {
      const file = join(dir, `bad-${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      const r = child ? run(file) : await runCli('gradcheck', file);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(msg);
    });
  }
});
