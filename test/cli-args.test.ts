// The command line's parsing as a user meets it: -h/--help prints the help
// generated from each command's table and exits 0 without doing anything
// else; unknown flags, missing values, stray positionals and bad values exit
// 2 with one line naming the flag; a device file as the corpus is refused at
// once (it used to hang). Each case runs main() in this process (the exit
// code it returns is the one bin/webgpu-bptt.js exits with); the built CLI
// as a child process answers a case of each kind the same way.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TRAIN } from '../src/cli/train';
import { SAMPLE } from '../src/cli/sample';
import { GRADCHECK, BENCH } from '../src/cli/main';
import { parseCommand, helpText, num } from '../src/cli/args';
import { runCli } from './harness';

type Answer = { status: number | null; stdout: string; stderr: string };
const CLI = join(import.meta.dirname, '..', 'bin', 'webgpu-bptt.js');
/** The built CLI, a child process. */
const spawned = (...args: string[]): Answer => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
/** main() in this process. */
const cli = (...args: string[]): Promise<Answer> => runCli(...args);

function oneLineError(r: Answer, msg: RegExp) {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(msg);
}

describe('help', () => {
  for (const spec of [TRAIN, SAMPLE, GRADCHECK, BENCH]) {
    for (const flag of ['-h', '--help']) {
      it(`${spec.name} ${flag}: the table's help, exit 0`, async () => {
        // a positional or other flags before -h change nothing: help wins
        const r = await cli(spec.name, '--seed', '3', flag);
        expect(r.status).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe(helpText(spec));
        for (const name of Object.keys(spec.options)) expect(r.stdout).toContain(`--${name}`);
      });
    }
  }
  it('train documents --rows, --cell, --layers and the optimizer and schedule flags', () => {
    expect(helpText(TRAIN)).toMatch(/--rows 1\|2\|4\|8 +sequences per workgroup/);
    expect(helpText(TRAIN)).toMatch(/--cell rnn\|lstm\|gru/);
    expect(helpText(TRAIN)).toMatch(/--layers N/);
    for (const f of ['--beta1', '--beta2', '--eps', '--lr-schedule', '--warmup']) expect(helpText(TRAIN)).toContain(f);
  });
});

describe('refused at once: exit 2, one line naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--bogus'], /^webgpu-bptt: --bogus = given: is not an option here \('webgpu-bptt train'/],
    [['train', '-x'], /^webgpu-bptt: -x = given: is not an option here \('webgpu-bptt train'/],
    [['train', 'stray'], /^webgpu-bptt: argument = "stray": is not expected: 'webgpu-bptt train' takes options only/],
    [['train', '--lr'], /^webgpu-bptt: --lr = \(no value\): needs a value/],
    [['train', '--lr', '--quiet'], /^webgpu-bptt: --lr = \(no value\): needs a value/],
    [['train', '--quiet=yes'], /^webgpu-bptt: --quiet = "yes": is a switch and takes no value/],
    [['train', '--hidden', 'many'], /^webgpu-bptt: --hidden = "many": must be an integer ≥ 1/],
    [['train', '--cell', 'transformer'], /^webgpu-bptt: --cell = "transformer": must be rnn, lstm or gru/],
    [['train', '--layers', '0'], /^webgpu-bptt: --layers = "0": must be an integer ≥ 1 and ≤ 8/],
    [['train', '--layers', '2.5'], /^webgpu-bptt: --layers = "2\.5": must be an integer/],
    [['train', '--rows', '3'], /^webgpu-bptt: --rows = 3: must be 1, 2, 4 or 8/],
    [['train', '--rows', '6'], /^webgpu-bptt: --rows = 6: must be 1, 2, 4 or 8/],
    [['train', '--beta1', '1'], /^webgpu-bptt: --beta1 = 1: must be in \[0, 1\)/],
    [['train', '--optimizer', 'sgd', '--beta2', '0.9'], /^webgpu-bptt: --beta2 = 0\.9: applies to --optimizer adam only \(given: sgd\)/],
    [['train', '--optimizer', 'sgd', '--eps', '1e-6'], /^webgpu-bptt: --eps = 1e-6: applies to --optimizer adagrad or adam only/],
    [['train', '--eps', '0'], /^webgpu-bptt: --eps = "0": must be a number ≥ /],
    [['train', '--lr-schedule', 'linear'], /^webgpu-bptt: --lr-schedule = "linear": must be constant, step:EVERY:GAMMA/],
    [['train', '--lr-schedule', 'step:0:0.5'], /^webgpu-bptt: --lr-schedule\.every = 0: must be an integer in \[1, /],
    [['train', '--lr-schedule', 'cosine:0.5', '--lr', '0.1'], /^webgpu-bptt: --lr-schedule = "cosine:0\.5": MIN must be ≤ --lr = 0\.1/],
    [['train', '--truncation', 'regular:x'], /^webgpu-bptt: truncation tau = "x": must be a number in "regular:x"/],
    [['train', '--truncation', 'tbptt:3:2'], /^webgpu-bptt: truncation\.k2 = 2: must be ≥ k1 = 3/],
    [['train', '--truncation', 'randomized:0.5:sideways'], /^webgpu-bptt: truncation = "randomized:0\.5:sideways": only ":per-sequence" may follow/],
    [['train', '--truncation', 'geometric:1:2'], /^webgpu-bptt: truncation\.schedule\.p = 1: must be < 1/],
    [['train', '--warmup', '-1'], /^webgpu-bptt: --warmup = "-1": must be an integer ≥ 0/],
    [['sample'], /^webgpu-bptt: CHECKPOINT\.safetensors = missing: usage: webgpu-bptt sample CHECKPOINT\.safetensors/],
    [['sample', 'a.safetensors', 'b'], /^webgpu-bptt: argument = "b": is not expected: 'webgpu-bptt sample' takes CHECKPOINT\.safetensors and options/],
    [['sample', 'a.safetensors', '--reference'], /^webgpu-bptt: --reference = given: is not an option here \('webgpu-bptt sample'/],
    [['sample', '/dev/zero'], /^webgpu-bptt: CHECKPOINT\.safetensors = \/dev\/zero: must be a regular file/],
    [['gradcheck'], /^webgpu-bptt: CASE\.json = missing/],
    [['gradcheck', 'case.json', '--prefix', 'x'], /^webgpu-bptt: --prefix = given: is not an option here \('webgpu-bptt gradcheck'/],
    [['gradcheck', '/dev/zero'], /^webgpu-bptt: CASE\.json = \/dev\/zero: must be a regular file/],
    [['bench', '--bogus'], /^webgpu-bptt: --bogus = given: is not an option here \('webgpu-bptt bench'/],
    [['frobnicate'], /^webgpu-bptt: command = frobnicate: is not a command/],
  ];
  for (const [argv, msg] of cases) it(argv.join(' '), async () => oneLineError(await cli(...argv), msg));

  it('train --corpus /dev/zero: refused before reading (it used to hang), and a directory too', async () => {
    oneLineError(await cli('train', '--corpus', '/dev/zero'), /^webgpu-bptt: --corpus = \/dev\/zero: must be a regular file .*this is a device, pipe or socket$/);
    oneLineError(await cli('train', '--corpus', '/tmp'), /^webgpu-bptt: --corpus = \/tmp: must be a regular file .*this is a directory$/);
    oneLineError(await cli('train', '--corpus', '/nonexistent/corpus.txt'), /^webgpu-bptt: --corpus = \/nonexistent\/corpus\.txt: cannot be read/);
  });
});

describe('the built CLI as a child process answers as main() does', () => {
  it('help (exit 0, the table on stdout), a bad flag, a bad value, a device file as the corpus, an unknown command (exit 2, one line on stderr)', async () => {
    const same = async (...argv: string[]) => {
      const child = spawned(...argv), here = await cli(...argv);
      expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }, argv.join(' ')).toEqual(here);
      return child;
    };
    const help = await same('train', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout.trim()).toBe(helpText(TRAIN));
    oneLineError(await same('train', '--bogus'), /^webgpu-bptt: --bogus = given: is not an option here/);
    oneLineError(await same('train', '--rows', '3'), /^webgpu-bptt: --rows = 3: must be 1, 2, 4 or 8/);
    oneLineError(await same('train', '--corpus', '/dev/zero'), /^webgpu-bptt: --corpus = \/dev\/zero: must be a regular file/);
    oneLineError(await same('frobnicate'), /^webgpu-bptt: command = frobnicate: is not a command/);
  });
});

describe('parseCommand', () => {
  it('keeps every flag form: --k v, --k=v, switches, negative values, defaults from the table', () => {
    const a = parseCommand(TRAIN, ['--hidden', '64', '--lr=0.5', '--quiet', '--seed', '7', '--cell', 'gru', '--layers', '2', '--lr-schedule', 'step:10:0.5', '--warmup', '3']);
    if (a === 'help') throw new Error('help');
    expect(Object.fromEntries(a.flags)).toEqual({ hidden: '64', lr: '0.5', quiet: true, seed: '7', cell: 'gru', layers: '2', 'lr-schedule': 'step:10:0.5', warmup: '3' });
    expect(num(a, 'hidden', 0)).toBe(64);
    expect(num(a, 'batch', 0)).toBe(32); // the table's default
    expect(num(a, 'epochs', 0)).toBe(15);
    const s = parseCommand(SAMPLE, ['m.safetensors', '--temperature', '0.5']);
    if (s === 'help') throw new Error('help');
    expect(s.positional).toEqual(['m.safetensors']);
    expect(parseCommand(SAMPLE, ['m.safetensors', '-h'])).toBe('help');
  });
});
