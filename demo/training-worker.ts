// The demo's training worker: it owns the GPU device, the data source and a
// Trainer per run (the strategy comparison runs several side by side), and
// sends each step's numbers to the page (demo/main.ts), which keeps the UI and
// the charts. Nothing here blocks the page: encoding a step, reading its
// statistics back, snapshots and text generation all happen on this thread.
// Only the library's public API (src/index.ts) is used. The messages are
// demo/worker-protocol.ts.
import { requestTrainingDevice, describeAdapter, charLmConfig, createRng, generateText, liveMemory, BpttError, Trainer, type Diagnostics, type StepStats } from '../src/index';
import { optimizerOf, scheduleOf, type Settings } from './settings';
import { builtinSource, delaySource, textSource, type Source } from './data';
import { truncationOf, startWeights, SKIPPED_IN_A_ROW_PAUSE } from './run';
import { checkpointBytes, restoreRun } from './checkpoint';
import { useLang, t } from './i18n';
import type { Request, RequestMessage, Replies, FromWorker, WorkerEvent, SourceInfo } from './worker-protocol';

/** Every DIAG_EVERY-th step (and the first) also measures ‖∂L/∂h_t‖ and ρ(W_hh). */
const DIAG_EVERY = 3;

interface WorkerRun {
  trainer: Trainer;
  settings: Settings;
  /** Steps submitted (continues from a loaded checkpoint's step). */
  steps: number;
  /** How many of the latest statistics in a row were skipped as non-finite. */
  skippedInARow: number;
}

let device: GPUDevice | null = null;
let runs: WorkerRun[] = [];
let source: Source | null = null;
/** The page's generation of the runs (set by every build); events carry it. */
let gen = 0;
let running = false;
/** The training loop while it runs. */
let loopDone: Promise<{ nonfinite: boolean; error: string | null }> | null = null;
/** Promises that send a step's statistics or diagnostics (settled before a loop or step reports it is done). */
const pending = new Set<Promise<unknown>>();
/** The text generation in flight: a snapshot waits for it. */
let generating: Promise<unknown> = Promise.resolve();

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const event = (e: WorkerEvent, transfer: Transferable[] = []) => post(e, transfer);

function track(p: Promise<unknown>): void {
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

/** Wait until every submitted step of every run has finished and its numbers have been sent. */
async function settle(): Promise<void> {
  await Promise.all(runs.map((r) => r.trainer.flush().catch(() => null)));
  while (pending.size) await Promise.all([...pending].map((p) => p.catch(() => null)));
}

/** A zero-delay yield to this worker's task queue (messages such as 'pause' get their turn). */
const yieldTask = () => new Promise<void>((resolve) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => {
    ch.port1.close();
    resolve();
  };
  ch.port2.postMessage(null);
});

function makeSource(s: Settings, custom: { name: string; text: string } | null): Source {
  if (s.data === 'delay') return delaySource(s.delay, s.batch, s.steps, s.seed);
  if (s.data === 'custom') {
    if (!custom) throw new Error(t('needText'));
    return textSource(custom.name, custom.text, s.batch, s.steps, s.seed);
  }
  return builtinSource(s.batch, s.steps, s.seed);
}

function destroyRuns(): void {
  for (const r of runs) r.trainer.destroy(); // a trainer with steps in flight frees its buffers once they finish
  runs = [];
  source = null;
  gen = -1;
}

function build(g: number, settings: Settings[], custom: { name: string; text: string } | null): Replies['build'] {
  destroyRuns();
  if (!device) throw new BpttError('webgpu', 'unavailable', 'no WebGPU device in the training worker');
  const src = makeSource(settings[0], custom);
  const made: WorkerRun[] = [];
  try {
    for (const s of settings) {
      const trainer = new Trainer(device, {
        config: charLmConfig(src.vocabSize, s.hidden, s.cell === 'rnn' ? s.activation : 'tanh', s.bias, s.cell, s.layers),
        batch: s.batch,
        steps: s.steps,
        truncation: truncationOf(s.strategy, s),
        optimizer: optimizerOf(s),
        lrSchedule: scheduleOf(s),
        clip: s.clip,
        seed: s.seed,
        weights: startWeights(s, src.vocabSize),
      });
      made.push({ trainer, settings: s, steps: 0, skippedInARow: 0 });
    }
  } catch (e) {
    for (const r of made) r.trainer.destroy();
    throw e;
  }
  runs = made;
  source = src;
  gen = g;
  const info: SourceInfo = { name: src.name, vocabSize: src.vocabSize, chars: src.chars, corpusLength: src.corpus ? src.corpus.ids.length : null };
  return { source: info, runs: runs.map((r) => ({ config: r.trainer.engine.config, optimizer: r.trainer.optimizer })) };
}

/** One step of every run on the same minibatch; its numbers are sent as they arrive. */
async function stepAll(): Promise<void> {
  if (!source || !runs.length) return;
  const batch = source.next();
  const diag = (runs[0].steps + 1) % DIAG_EVERY === 0 || runs[0].steps === 0;
  const g = gen;
  for (const [i, r] of runs.entries()) {
    const h = await r.trainer.step({ ...batch, diagnostics: diag });
    if (g !== gen) return; // the runs were replaced while this step was being submitted
    const n = ++r.steps;
    const p = h.plan;
    event({ kind: 'step', gen: g, run: i, n, xi: h.xi, plan: { streams: p.streams, T: p.T, B: p.B, data: p.data }, tokens: batch.tokens });
    track(h.stats.then((s: StepStats) => {
      r.skippedInARow = s.skipped ? r.skippedInARow + 1 : 0;
      event({ kind: 'stats', gen: g, run: i, n, loss: s.loss, gradNorm: s.gradNorm, skipped: s.skipped, lr: s.lr, clippedTotal: s.clippedTotal, skippedTotal: s.skippedTotal });
    }));
    if (h.diagnostics) track(h.diagnostics.then((d: Diagnostics) => event({ kind: 'diag', gen: g, run: i, n, dh: d.dhNorms, dc: d.dcNorms, rho: d.spectralRadius })));
  }
}

async function loop(): Promise<{ nonfinite: boolean; error: string | null }> {
  let nonfinite = false, error: string | null = null;
  try {
    while (running) {
      await stepAll();
      if (runs.some((r) => r.skippedInARow >= SKIPPED_IN_A_ROW_PAUSE)) {
        running = false; // every update is being thrown away: stop, and the page says why
        nonfinite = true;
      }
      await yieldTask();
    }
  } catch (e) {
    running = false;
    error = (e as Error).message;
  }
  await settle();
  return { nonfinite, error };
}

async function stopLoop(): Promise<void> {
  running = false;
  while (loopDone) await loopDone.catch(() => null);
}

async function handle(req: Request): Promise<unknown> {
  switch (req.type) {
    case 'init': {
      device = await requestTrainingDevice(navigator.gpu);
      // a GPU validation error leaves every later step invalid (losses read as 0): stop and say so
      device.addEventListener('uncapturederror', (e) => {
        running = false;
        event({ kind: 'gpuError', message: (e as GPUUncapturedErrorEvent).error.message });
      });
      void device.lost.then((info) => {
        running = false;
        event({ kind: 'deviceLost', reason: info.reason || 'unknown', message: info.message });
      });
      return { adapter: describeAdapter(device) } satisfies Replies['init'];
    }
    case 'build':
      await stopLoop();
      useLang(req.lang);
      return build(req.gen, req.settings, req.custom);
    case 'clear':
      await stopLoop();
      destroyRuns();
      return null;
    case 'train': {
      if (!loopDone) {
        running = true;
        loopDone = loop().finally(() => (loopDone = null));
      }
      return await loopDone;
    }
    case 'pause':
      running = false;
      return null;
    case 'step': {
      await stopLoop();
      try {
        await stepAll();
        await settle();
        return { error: null } satisfies Replies['step'];
      } catch (e) {
        await settle();
        return { error: (e as Error).message } satisfies Replies['step'];
      }
    }
    case 'checkpoint': {
      const r = runs[req.run];
      if (!r || !source) throw new Error(t('nothingToSave'));
      await generating.catch(() => null);
      return { bytes: await checkpointBytes(r, source) } satisfies Replies['checkpoint'];
    }
    case 'weights': {
      const r = runs[req.run];
      if (!r) throw new Error(t('nothingToSave'));
      await generating.catch(() => null);
      const snap = await r.trainer.snapshot();
      return { config: snap.config, weights: snap.weights } satisfies Replies['weights'];
    }
    case 'generate': {
      const r = runs[0];
      if (!r || !source?.corpus) return null;
      // on the GPU, from the run's weights as they stand after the steps submitted so far
      const e = r.trainer.engine, vocab = source.corpus.vocab;
      const job = (async () => {
        const greedy = await generateText(e.device, e.config, e, vocab, req.prefix, 60, 0, createRng(1));
        const sampled = await generateText(e.device, e.config, e, vocab, req.prefix, 60, req.temperature, createRng(req.seed));
        return { greedy, sampled } satisfies Replies['generate'];
      })();
      generating = job;
      return await job;
    }
    case 'restore': {
      const r = runs[0];
      if (!r || !source) throw new Error(t('nothingToSave'));
      await stopLoop();
      restoreRun(r, source, req.data, req.name);
      r.steps = req.data.step;
      return null;
    }
    case 'memory':
      await settle();
      await generating.catch(() => null);
      return device ? liveMemory(device) : { buffers: 0, bytes: 0 };
  }
}

self.addEventListener('message', (e: MessageEvent<RequestMessage>) => {
  const { id, ...req } = e.data;
  handle(req as Request).then(
    (value) => {
      const transfer = value && typeof value === 'object' && 'bytes' in value && (value as { bytes: unknown }).bytes instanceof Uint8Array ? [(value as { bytes: Uint8Array }).bytes.buffer] : [];
      post({ kind: 'reply', id, ok: true, value }, transfer);
    },
    (err) => post({ kind: 'reply', id, ok: false, message: (err as Error)?.message ?? String(err), bptt: err instanceof BpttError }),
  );
});
