// The demo page in real headless Chromium: it loads clean, trains (in a Web
// Worker: no main-thread long task while it does, GPU memory flat), pauses,
// steps, compares the three strategies, draws every chart for every run,
// takes a dropped file, saves and loads a checkpoint, follows a learning-rate
// schedule, and answers bad settings with a message. The experiments' lessons
// (the delay task, the exploding gradient), the layout at 1400×1000 and on a
// phone, and the two languages are e2e/demo-lessons.test.ts. Every wait is on
// the page's own state (the worker case's 5 s of training by the page's
// clock too), never a sleep. Screenshots go to e2e/artifacts/.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { startSession, openPage, CHROMIUM, CHROMIUM_ARGS, type Session } from './browser';
import * as ort from 'onnxruntime-web';
import { encodeSafetensors, decodeSafetensors, createRng, loadCheckpoint, referenceCells, type NamedTensor } from '../src/index';

const ART = join(import.meta.dirname, 'artifacts');
mkdirSync(ART, { recursive: true });
let s: Session;
/** One page for every case (its device's pipelines compile once); each case opens its settings with __demo.load, as a link would. */
let shared: { page: Page; errors: string[] };
beforeAll(async () => {
  s = await startSession('demo');
  // No hot reload mid-test: a source file saved while the suite runs (an editor, a
  // parallel build) would otherwise reload the page and lose its state.
  await s.server.watcher.close();
  shared = await openPage(s, '/');
  await shared.page.waitForFunction(() => (window as unknown as { __demo?: { ready(): boolean } }).__demo?.ready(), undefined, { timeout: 60_000 });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

const SMALL = 'hidden=32&steps=16&batch=8&lr=0.02';
type Demo = {
  hasInk(id: string): boolean;
  steps(): number[];
  runs(): number;
  losses(): number[][];
  measured(): number[];
  state(): 'training' | 'paused';
  drawn(id: string): string[];
  lrs(): { step: number; value: number }[][];
  optimizer(): object | null;
  longTasks: number[];
};
const demo = <T>(page: Page, f: (d: Demo) => T) => page.evaluate(`(${f.toString()})(window.__demo)`) as Promise<T>;
const stepsOf = (page: Page) => demo(page, (d) => d.steps());
/** Wait until every run's statistics have arrived for at least n steps. */
async function waitSteps(page: Page, n: number) {
  await page.waitForFunction((n) => (window as unknown as { __demo: Demo }).__demo.measured().every((x) => x >= n), n, { timeout: 240_000 });
}
/** Press Pause and wait until the loop has stopped and every submitted step's numbers have landed. */
async function pause(page: Page) {
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.state() === 'paused');
}

/** The shared page with the settings of `path` (a link such as /?hidden=32&…), its loop stopped and its runs rebuilt. */
async function ready(path: string) {
  const { page, errors } = shared;
  await page.evaluate((q) => (window as unknown as { __demo: { load(q: string): Promise<void> } }).__demo.load(q), path.replace(/^\/\??/, ''));
  return { page, errors };
}

describe('demo page', () => {
  it('trains: loss falls, charts and heatmap draw, Pause stops the loop, Step takes exactly one step (long tasks logged, not asserted)', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 30);
    await pause(page);
    // paused: the loop has exited and nothing is in flight, every submitted step measured
    const paused = await stepsOf(page);
    expect(await demo(page, (d) => d.measured())).toEqual(paused);
    const status = await page.getByRole('status').textContent();
    expect(status).toMatch(/Step \d+ · loss \d+\.\d+ · perplexity \d+\.\d+/);
    const losses = (await page.evaluate(() => (window as unknown as { __demo: Demo }).__demo.losses()))[0];
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3, tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    console.log(`demo: ${losses.length} losses, first ${head.toFixed(3)} → last ${tail.toFixed(3)}; ${status}`);
    expect(tail).toBeLessThan(head);
    for (const id of ['lossChart', 'gradChart', 'heatChart', 'rhoChart']) {
      expect(await page.evaluate((id) => (window as unknown as { __demo: Demo }).__demo.hasInk(id), id), id).toBe(true);
    }
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForFunction((n) => (window as unknown as { __demo: Demo }).__demo.measured()[0] === n + 1, paused[0]);
    expect(await stepsOf(page)).toEqual([paused[0] + 1]);
    expect(await demo(page, (d) => d.state())).toBe('paused');
    await page.waitForFunction(() => document.getElementById('greedy')!.textContent!.length > 0, undefined, { timeout: 30_000 });
    // Long tasks are logged here for a person to read; the worker case below asserts there are none while training.
    const long = await demo(page, (d) => d.longTasks);
    console.log(`demo: main-thread long tasks while training: ${JSON.stringify(long)}`);
    await page.screenshot({ path: join(ART, 'demo-trained.png'), fullPage: true });
    expect(errors).toEqual([]);
    // page safety: a CSP with no remote origins, and no request leaves the page's own origin
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/https?:\/\/|unsafe-eval/);
    expect(requests.filter((u) => !u.startsWith(s.base) && !u.startsWith('data:'))).toEqual([]);
  });

  it('trains in a Web Worker (run alone): while it trains for seconds the main thread has no long task over 50 ms; Reset and Compare leave the worker\'s GPU memory flat', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    const memory = () => page.evaluate(() => (window as unknown as { __demo: { memory(): Promise<{ buffers: number; bytes: number }> } }).__demo.memory());
    const oneRun = await memory();
    expect(oneRun.buffers).toBeGreaterThan(0);
    // the observer is registered before Train is pressed; every long task from then on is recorded
    const t0 = await page.evaluate(() => {
      const w = window as unknown as { __longTasksSeen: number[]; __longTaskSupported: boolean };
      w.__longTasksSeen = [];
      w.__longTaskSupported = PerformanceObserver.supportedEntryTypes.includes('longtask');
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasksSeen.push(Math.round(e.duration));
      }).observe({ type: 'longtask' });
      return performance.now();
    });
    expect(await page.evaluate(() => (window as unknown as { __longTaskSupported: boolean }).__longTaskSupported)).toBe(true);
    await page.getByRole('button', { name: 'Train' }).click();
    // at least 5 s of training by the page's clock, and at least 30 measured steps
    await page.waitForFunction((t0) => performance.now() - t0 >= 5000 && (window as unknown as { __demo: Demo }).__demo.measured().every((x) => x >= 30), t0, { timeout: 240_000 });
    const trained = await page.evaluate(() => performance.now());
    await pause(page);
    const longTasks = () => page.evaluate(() => (window as unknown as { __longTasksSeen: number[] }).__longTasksSeen.slice());
    const long = await longTasks();
    const [steps] = await demo(page, (d) => d.measured());
    console.log(`demo worker: ${steps} steps measured in ${((trained - t0) / 1000).toFixed(1)} s of training; main-thread long tasks (> 50 ms): ${JSON.stringify(long)}`);
    expect(steps).toBeGreaterThanOrEqual(30);
    expect(long).toEqual([]);
    // Compare on a heavier model (3 two-layer LSTMs, H = 96): with the training on the page's thread (before the worker) this gave a 134 ms task on SwiftShader
    await page.evaluate((q) => (window as unknown as { __demo: { load(q: string): Promise<void> } }).__demo.load(q), 'hidden=96&steps=32&batch=8&layers=2&cell=lstm&lr=0.01');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await waitSteps(page, 3);
    await pause(page);
    const heavy = await demo(page, (d) => d.measured());
    const longHeavy = await longTasks();
    console.log(`demo worker, Compare on 3 × 2-layer LSTM H=96: ${JSON.stringify(heavy)} steps measured; main-thread long tasks (> 50 ms): ${JSON.stringify(longHeavy)}`);
    expect(heavy.every((n) => n >= 3)).toBe(true);
    expect(longHeavy).toEqual([]);
    await ready(`/?${SMALL}`);
    // every GPU buffer keeps its owner: the trainers Reset and Compare replace are destroyed in the worker
    const tallies: { buffers: number; bytes: number }[] = [];
    for (let round = 0; round < 2; round++) {
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      await waitSteps(page, 3);
      await pause(page);
      expect(await demo(page, (d) => d.runs())).toBe(3);
      const three = await memory();
      expect(three.bytes).toBeGreaterThan(oneRun.bytes);
      await page.getByRole('button', { name: 'Reset' }).click();
      await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.runs() === 1);
      tallies.push(three, await memory());
    }
    console.log(`demo worker memory: one run ${JSON.stringify(oneRun)}; Compare, Reset, Compare, Reset: ${JSON.stringify(tallies)}`);
    expect(tallies[1]).toEqual(oneRun);
    expect(tallies[2]).toEqual(tallies[0]);
    expect(tallies[3]).toEqual(oneRun);
    expect(errors).toEqual([]);
  });

  it('without WebGPU the page explains what to do instead of failing', async () => {
    const plain = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => !a.includes('webgpu') && !a.includes('swiftshader')).concat(['--disable-gpu', '--disable-features=WebGPU']) });
    try {
      const page = await plain.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${s.base}/?${SMALL}`);
      await page.waitForFunction(() => !document.getElementById('nogpu')!.hidden, undefined, { timeout: 30_000 });
      expect(await page.locator('#nogpu').textContent()).toMatch(/WebGPU is not available in this browser.*Chrome or Edge \(113 or later\)/);
      await page.getByRole('button', { name: 'Train' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/WebGPU is not available/);
      await page.screenshot({ path: join(ART, 'demo-no-webgpu.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('compares the three strategies side by side on the delay task', async () => {
    const { page, errors } = await ready(`/?${SMALL}&data=delay&delay=6&strategy=regular&tau=4&pi=0.3`);
    // what the data asks of each strategy (the lessons themselves are e2e/demo-lessons.test.ts)
    const text = await page.locator('#explain').textContent();
    expect(text).toMatch(/regular truncation with τ = 4 cannot \(a block of τ steps has only τ − 1 = 3 links; it needs τ ≥ 7\)/);
    expect(text).toMatch(/full BPTT over the window of 16 steps can/);
    expect(text).toMatch(/randomized truncation with π = 0\.3 keeps all 6 links only with probability π\^6 = 7e-4/);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await waitSteps(page, 12);
    await pause(page);
    expect(await demo(page, (d) => d.runs())).toBe(3);
    // the ρ(W_hh) chart and the heatmap show every run, each labelled
    expect(await demo(page, (d) => d.drawn('heatChart'))).toEqual(['full', 'regular τ=4', 'randomized π=0.3']);
    expect(await demo(page, (d) => d.drawn('rhoChart'))).toEqual(['full', 'regular τ=4', 'randomized π=0.3'].flatMap((l) => [`ρ(W_hh) ${l}`, `measured ${l}`]));
    const segs = await page.locator('#segments > div').count();
    expect(segs).toBe(3);
    // regular τ=4 over a 16-step window: 4 segments; full: 1
    const fullSegs = await page.locator('#segments > div').nth(0).locator('span.seg').count();
    const regSegs = await page.locator('#segments > div').nth(1).locator('span.seg').count();
    expect(fullSegs).toBe(1);
    expect(regSegs).toBe(4);
    await page.screenshot({ path: join(ART, 'demo-compare.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('a dropped text file becomes the corpus; a chosen binary file gets a message', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    const text = 'It was a bright cold day in April, and the clocks were striking thirteen. '.repeat(40);
    await page.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'april.txt', { type: 'text/plain' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page.waitForFunction(() => document.getElementById('dataInfo')!.textContent!.includes('april.txt'));
    expect(await page.locator('#dataInfo').textContent()).toMatch(/april\.txt: \d+ symbols, \d+ characters/);
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 3);
    await pause(page);
    await page.locator('#file').setInputFiles({ name: 'image.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x00]) });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/"image\.png" is not a UTF-8 text file/);
    expect(errors).toEqual([]);
  });

  it('bad settings get a message and the page keeps working', async () => {
    const { page, errors } = await ready(`/?${SMALL.replace("hidden=32", "hidden=0")}`);
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Hidden size must be a whole number from 1 to 1024 \(got 0\)/);
    await page.fill('input[name=hidden]', '16');
    await page.locator('select[name=strategy]').selectOption('regular');
    await page.fill('input[name=tau]', '40');
    await page.locator('input[name=tau]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/τ = 40 is larger than the window \(16 steps\)/);
    await page.screenshot({ path: join(ART, 'demo-bad-settings.png'), fullPage: true });
    await page.fill('input[name=tau]', '4');
    await page.locator('input[name=tau]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 3);
    await pause(page);
    expect(await page.locator('#alert').textContent()).toBe(''); // empty (and hidden from the accessibility tree)
    expect(errors).toEqual([]);
  });
  it('downloads a checkpoint, and after Reset uploading it brings back the same weights, step and loss', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 40);
    await pause(page);
    const [n] = await stepsOf(page);
    const before = (await demo(page, (d) => d.losses()))[0];
    const firstLoss = before[0], lastLoss = before[before.length - 1];
    const download = async () => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download checkpoint' }).click()]);
      return { name: dl.suggestedFilename(), bytes: readFileSync((await dl.path())!) };
    };
    const saved = await download();
    expect(saved.name).toBe(`bptt-full-h32-step${n}.safetensors`);
    // a safetensors file with PyTorch's names (u64 header length, JSON header)
    const header = JSON.parse(saved.bytes.subarray(8, 8 + Number(saved.bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(Object.keys(header)).toEqual(expect.arrayContaining(['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'fc.weight', 'optim.s1.rnn.weight_hh_l0', 'optim.s2.fc.weight', '__metadata__']));
    expect(header.__metadata__.step).toBe(String(n));
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.steps()[0] === 0);
    await page.locator('#upload').setInputFiles({ name: saved.name, mimeType: 'application/octet-stream', buffer: saved.bytes });
    await expect.poll(() => page.locator('#checkpointInfo').textContent()).toMatch(new RegExp(`Loaded ${saved.name}: step ${n}, adam state included`));
    expect(await stepsOf(page)).toEqual([n]);
    // bytes in, bytes out: the loaded weights and optimizer state save back to the same file
    const again = await download();
    expect(again.name).toBe(saved.name);
    expect(Buffer.compare(again.bytes, saved.bytes)).toBe(0);
    // and training continues from there: Reset restarted the data, so this step sees the minibatch
    // that step 1 saw, where the untrained model's loss was firstLoss
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.measured()[0] === 1);
    expect(await stepsOf(page)).toEqual([n + 1]);
    const next = (await demo(page, (d) => d.losses()))[0];
    console.log(`demo checkpoint: ${saved.bytes.length} bytes at step ${n}; loss on the first minibatch at step 1 ${firstLoss.toFixed(3)}, after upload ${next[0].toFixed(3)} (last before download ${lastLoss.toFixed(3)})`);
    expect(next).toHaveLength(1);
    expect(next[0]).toBeLessThan(firstLoss - 0.5);
    expect(next[0]).toBeLessThan(lastLoss + 0.5);
    // a file that is not a checkpoint gets a message naming it, and the page keeps working
    await page.locator('#upload').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint at all') });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/notes\.safetensors/);
    expect(errors).toEqual([]);
  });

  it('Download ONNX: the current model as an ONNX file (opset 17) that ONNX Runtime runs, giving the float64 reference\'s loss for the checkpoint\'s weights', async () => {
    const { page, errors } = await ready(`/?${SMALL}`);
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForFunction(() => (window as unknown as { __demo: Demo }).__demo.measured()[0] === 1);
    const [onnx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download ONNX' }).click()]);
    expect(onnx.suggestedFilename()).toBe('webgpu-bptt-rnn-1x32-step1.onnx');
    expect(await page.locator('#checkpointInfo').textContent()).toMatch(/Saved webgpu-bptt-rnn-1x32-step1\.onnx \(\d+ bytes\): an ONNX model \(opset 17\)/);
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    const session = await ort.InferenceSession.create(readFileSync((await onnx.path())!));
    try {
      expect(session.inputNames).toEqual(['tokens']);
      expect(session.outputNames).toEqual(['output', 'logits']);
      const B = 2, T = 5, V = 28, rng = createRng(5);
      const tokens = Array.from({ length: T * B }, () => rng.int(V));
      const out = await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [T, B]) });
      expect(out.output.dims).toEqual([T, B, V]);
      // the same weights from the checkpoint, through the float64 reference (a copy of the bytes: before 9d27255 a Node Buffer was misread)
      const [ckpt] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download checkpoint' }).click()]);
      const { config, weights } = loadCheckpoint(new Uint8Array(readFileSync((await ckpt.path())!)));
      const targets = Array.from({ length: T * B }, () => rng.int(V));
      const probs = out.output.data as Float32Array;
      const ortLoss = -tokens.reduce((a, _, r) => a + Math.log(probs[r * V + targets[r]]), 0) / (T * B);
      const refLoss = referenceCells(config, weights, { B, T, tokens, targets }).loss;
      console.log(`demo onnx: ${onnx.suggestedFilename()}: ONNX Runtime's loss on a random minibatch ${ortLoss.toFixed(6)}, the float64 reference's from the checkpoint's weights ${refLoss.toFixed(6)}`);
      expect(Math.abs(ortLoss - refLoss) / refLoss).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
    expect(errors).toEqual([]);
  });

  it('a learning-rate schedule with warm-up and Adam\'s β1, β2, ε from the form reach the trainer; each update\'s rate follows the schedule', async () => {
    const { page, errors } = await ready(`/?${SMALL}&schedule=step:5:0.5&warmup=4&beta1=0.8&beta2=0.99&eps=0.000001`);
    await page.getByRole('button', { name: 'Train' }).click();
    await waitSteps(page, 20);
    await pause(page);
    expect(await demo(page, (d) => d.optimizer())).toEqual({ kind: 'adam', lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    // the chapter-independent definition: linear warm-up over 4 updates from 0, then ×0.5 every 5 updates
    const expected = (s: number) => (s < 4 ? (0.02 * s) / 4 : 0.02 * 0.5 ** Math.floor((s - 4) / 5));
    const [used] = await demo(page, (d) => d.lrs());
    expect(used.length).toBeGreaterThanOrEqual(20);
    for (const p of used) expect(p.value, `step ${p.step}`).toBeCloseTo(expected(p.step - 1), 8); // no step skipped: update s is step s + 1
    expect(await demo(page, (d) => d.drawn('lrChart'))).toEqual(['schedule (lrAt): step:5:0.5, warm-up 4', 'used by full']);
    // bad values get messages naming the field
    await page.fill('input[name=beta1]', '1');
    await page.fill('input[name=schedule]', 'step:0:0.5');
    await page.locator('input[name=schedule]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Adam β1 must be in \[0, 1\) \(got 1\)\.\nLR schedule\.every = 0: must be an integer in \[1, /);
    await page.fill('input[name=beta1]', '0.9');
    await page.fill('input[name=schedule]', 'cosine:0.5');
    await page.locator('input[name=schedule]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/The cosine schedule's minimum rate 0\.5 is above the learning rate 0\.02/);
    expect(errors).toEqual([]);
  });

  it('loads a plain PyTorch state dict with d2l\'s names (linear.*, two RNN biases) as the page\'s model', async () => {
    const { page, errors } = await ready(`/?${SMALL}`); // H = 32 over the built-in corpus's V = 28
    const rng = createRng(3);
    const t = (...shape: number[]): NamedTensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal() * 0.1) });
    const dict = { 'rnn.weight_ih_l0': t(32, 28), 'rnn.weight_hh_l0': t(32, 32), 'rnn.bias_ih_l0': t(32), 'rnn.bias_hh_l0': t(32), 'linear.weight': t(28, 32), 'linear.bias': t(28) };
    await page.locator('#upload').setInputFiles({ name: 'd2l.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeSafetensors(dict)) });
    await expect.poll(() => page.locator('#checkpointInfo').textContent()).toMatch(/Loaded d2l\.safetensors: step 0, no optimizer state/);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download checkpoint' }).click()]);
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync((await dl.path())!)));
    expect(tensors['rnn.weight_ih_l0'].data).toEqual(dict['rnn.weight_ih_l0'].data);
    expect(tensors['rnn.weight_hh_l0'].data).toEqual(dict['rnn.weight_hh_l0'].data);
    expect(tensors['fc.weight'].data).toEqual(dict['linear.weight'].data);
    expect(tensors['fc.bias'].data).toEqual(dict['linear.bias'].data);
    // the chapter's single b_h is PyTorch's b_ih + b_hh (saved back as b_ih = the sum, b_hh = 0)
    const sum = dict['rnn.bias_ih_l0'].data.map((v, i) => Math.fround(v + dict['rnn.bias_hh_l0'].data[i]));
    expect(tensors['rnn.bias_ih_l0'].data).toEqual(sum);
    expect(tensors['rnn.bias_hh_l0'].data).toEqual(new Float32Array(32));
    // a state dict of another shape is refused with the tensor's name
    const wrong = { ...dict, 'rnn.weight_hh_l0': t(16, 16) };
    await page.locator('#upload').setInputFiles({ name: 'wrong.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeSafetensors(wrong)) });
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/rnn\.weight_hh_l0/);
    expect(errors).toEqual([]);
  });

});
