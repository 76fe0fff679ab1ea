// bench/gpu.sh as far as this machine allows: our engine in Node on whatever
// device Dawn finds (SwiftShader here) and in headless Chromium where it is
// installed, with the tiny workload, the PyTorch half on the CPU where
// PyTorch is installed. Where it is not (CI), the script must say so in its
// own words, and that message is what is asserted; a Python whose `import
// torch` fails checks that path everywhere. Times are never asserted: only
// the table's shape, that each row names its adapter, and that its numbers
// agree with each other.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKLOADS } from '../bench/workloads';
import { CHROMIUM } from '../e2e/browser';

const run = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile('bash', ['bench/gpu.sh', ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });

const HEADER = '| workload | implementation | device | ms/step median [min–max] | tokens/s | × PyTorch module | initial loss (ln V) |';
const tiny = WORKLOADS.tiny;
const LABEL = `tiny (V=${tiny.V}, H=${tiny.H}, B=${tiny.B}, T=${tiny.T})`;

/** The table's rows as cells, by implementation. */
function rows(out: string): Map<string, string[]> {
  const lines = out.split('\n');
  const at = lines.indexOf(HEADER);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(lines[at + 1]).toBe('|---|---|---|---|---|---|---|');
  const m = new Map<string, string[]>();
  for (const l of lines.slice(at + 2)) {
    if (!l.startsWith('|')) break;
    const cells = l.split('|').slice(1, -1).map((c) => c.trim());
    expect(cells[0]).toBe(LABEL);
    m.set(cells[1], cells);
  }
  return m;
}

/** A timed row: median within [min, max], tokens/s = B·T / median, the initial loss near ln V. */
function checkTimed(cells: string[]) {
  const t = cells[3].match(/^([\d.]+) \[([\d.]+)–([\d.]+)\]$/);
  expect(t, cells[3]).not.toBeNull();
  const [med, lo, hi] = t!.slice(1).map(Number);
  expect(lo).toBeGreaterThan(0);
  expect(lo).toBeLessThanOrEqual(med);
  expect(med).toBeLessThanOrEqual(hi);
  const tokens = Number(cells[4]);
  expect(Math.abs(tokens - (tiny.B * tiny.T * 1000) / med) / tokens).toBeLessThan(0.02); // the median is printed rounded
  const l = cells[6].match(/^([\d.]+) \(([\d.]+)\)$/);
  expect(l, cells[6]).not.toBeNull();
  expect(Number(l![2])).toBeCloseTo(Math.log(tiny.V), 3);
  expect(Math.abs(Number(l![1]) - Math.log(tiny.V))).toBeLessThan(0.5);
}

/** A Python that has PyTorch, if this machine has one (Debian's python3-torch lives in /usr/bin/python3). */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The script bounds its own parts (Node, Chromium, PyTorch: 290 s in all); the two runs share the machine. */
const LIMIT = 300_000;
const OURS = 'webgpu-bptt (full BPTT)', IN_CHROMIUM = 'webgpu-bptt in Chromium (full BPTT)';
/** The adapter cell of our rows: SwiftShader here, called a software adapter; a GPU named as it is. */
function checkDevice(cells: string[]) {
  expect(cells[2]).toMatch(/\S/);
  if (/swiftshader/i.test(cells[2])) expect(cells[2]).toMatch(/ \(software adapter\)$/);
}

describe.concurrent('bench/gpu.sh --tiny', () => {
  it('prints one table: our engine in Node and in Chromium, and PyTorch beside it or the script’s own “not installed” line', async () => {
    const { code, out } = await run(['--tiny', '--python', python]);
    expect(code, out).toBe(0);
    const r = rows(out);
    const ours = r.get(OURS)!;
    expect(ours).toBeDefined();
    checkTimed(ours);
    checkDevice(ours);
    // the Chromium part where Chromium is installed, else the script's own line
    const withChromium = existsSync(CHROMIUM);
    const mine = withChromium ? [OURS, IN_CHROMIUM] : [OURS];
    if (withChromium) {
      expect(out).toMatch(/^Chromium flags: (GPU|SwiftShader)/m);
      expect(out).toMatch(/^adapter: \S/m);
      checkTimed(r.get(IN_CHROMIUM)!);
      checkDevice(r.get(IN_CHROMIUM)!);
      expect(out).toMatch(/^Our engine: Chromium [\d.]+ \(headless, (GPU|SwiftShader) flags\)(, TF\.js [\d.]+)?, adapter \S/m);
    } else {
      expect(out).toContain(`Chromium: not installed (${CHROMIUM} not found); the browser row is left out.`);
    }
    if (out.includes('PyTorch: not installed (')) {
      // no PyTorch on this machine: the table has our rows alone
      expect([...r.keys()]).toEqual(mine);
      expect(out).toContain('its rows are left out');
    } else {
      expect([...r.keys()]).toEqual([...mine, 'PyTorch nn.RNN', 'PyTorch autograd loop']);
      for (const k of ['PyTorch nn.RNN', 'PyTorch autograd loop']) checkTimed(r.get(k)!);
      expect(r.get('PyTorch nn.RNN')![5]).toBe('1.00×');
      expect(out).toMatch(/PyTorch [\d.]+\S* on (CPU|.+), /);
    }
  }, LIMIT);

  it('a Python whose import torch fails: the script says PyTorch is not installed and still prints our row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-torch-'));
    writeFileSync(join(dir, 'torch.py'), "raise ImportError('No module named torch (test stand-in)')\n");
    try {
      // the Chromium part is the other test's: --no-browser leaves it out, and says nothing of it
      const { code, out } = await run(['--tiny', '--no-browser', '--python', python], { PYTHONPATH: dir });
      expect(code, out).toBe(0);
      expect(out).toContain('PyTorch: not installed (import torch failed: ImportError: No module named torch (test stand-in)); the PyTorch rows are left out.');
      expect(out).not.toContain('Chromium');
      const r = rows(out);
      expect([...r.keys()]).toEqual([OURS]);
      checkTimed(r.get(OURS)!);
    } finally {
      rmSync(dir, { recursive: true });
    }
  }, LIMIT);

  it('refuses an unknown argument or workload before running anything', async () => {
    const [flag, bad] = await Promise.all([run(['--fast']), run(['--workloads', 'XL'])]);
    expect(flag.code).toBe(2);
    expect(flag.out).toContain('bench/gpu.sh: unknown argument --fast');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('unknown workload XL');
  });
});
