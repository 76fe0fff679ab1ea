// Runs in Chromium: training in the worker (src/worker) while the page
// watches for long tasks, pause / resume / abort, repeated jobs, and models
// kept in browser storage (src/storage) across a reload. The Node side
// (e2e/worker.test.ts) drives it through window.__worker and checks the
// predictions against float64 computed from the same bytes.
import { ModelWorker, type TrainingJob, type BatchEventDetail } from '../../src/worker/model-worker';
import { saveModelToStorage, loadModelFromStorage, listStoredModels, deleteStoredModel } from '../../src/storage/model-store';
import { loadModel } from '../../src/api/model';
import { requestTrainingDevice } from '../../src/gpu/device';
import { liveMemory } from '../../src/gpu/buffers';
import { SPEC, N, T, delayData } from './worker.data';

let device: Promise<GPUDevice> | null = null;

/** Predictions (N, T) batch-major for x (N, T, 1): the saved model loaded on the page's own device, then destroyed (its live buffers after). */
async function predictions(bytes: Uint8Array, x: Float32Array): Promise<{ o: number[]; memoryAfter: number }> {
  const dev = await (device ??= requestTrainingDevice(navigator.gpu));
  const model = loadModel(dev, bytes);
  try {
    const out = await model.predict({ data: x, shape: [x.length / T, T, 1] });
    const o = Array.from(out.data);
    model.destroy();
    return { o, memoryAfter: liveMemory(dev).buffers };
  } catch (e) {
    model.destroy();
    throw e;
  }
}

const data = (seed: number) => {
  const { x, y } = delayData(seed);
  return { x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, T, 1] } };
};

/** The next `batch` event of `job` (or the first whose step passes `after`). */
function nextBatch(job: TrainingJob, after: number): Promise<BatchEventDetail> {
  return new Promise((resolve) => {
    const on = (e: Event) => {
      const d = (e as CustomEvent<BatchEventDetail>).detail;
      if (d.step > after) {
        job.removeEventListener('batch', on);
        resolve(d);
      }
    };
    job.addEventListener('batch', on);
  });
}

let mw: ModelWorker | null = null;

const api = {
  /** 10 s of worker training under a long-task observer, then pause, resume and abort. */
  async trainTenSeconds() {
    const supported = PerformanceObserver.supportedEntryTypes.includes('longtask');
    const seen: { start: number; duration: number }[] = [];
    let control: ((d: number) => void) | null = null;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        seen.push({ start: e.startTime, duration: e.duration });
        control?.(e.duration);
      }
    });
    obs.observe({ type: 'longtask' });
    const t0 = performance.now();
    mw = new ModelWorker();
    const { x, y } = data(1);
    const job = mw.train({ spec: SPEC, x, y, fitOptions: { epochs: 1_000_000, batchSize: 8, optimizer: { kind: 'adam', lr: 0.02 }, seed: 3 } });
    const detached = x.data.byteLength === 0 && y.data.byteLength === 0; // transferred, not copied
    const losses: number[] = [];
    job.addEventListener('batch', (e) => losses.push((e as CustomEvent<BatchEventDetail>).detail.logs.loss));
    let adapter = '';
    job.addEventListener('started', (e) => (adapter = (e as CustomEvent<{ adapter: string }>).detail.adapter));
    // train for 10 s from the first batch's event (the observer also covers the worker's start and shader compilation before it)
    let first = 0;
    await new Promise<void>((resolve) => {
      const on = () => {
        if (first === 0) first = performance.now();
        else if (performance.now() - first >= 10_000) {
          job.removeEventListener('batch', on);
          resolve();
        }
      };
      job.addEventListener('batch', on);
    });
    const pausedAt = await job.pause();
    const trainedMs = performance.now() - first, observedMs = performance.now() - t0;
    obs.takeRecords().forEach((e) => seen.push({ start: e.startTime, duration: e.duration }));
    const longTasks = seen.slice();
    // while paused: no batch events; the worker answers and holds the model's buffers
    let batchesWhilePaused = 0;
    const count = () => (batchesWhilePaused += 1);
    job.addEventListener('batch', count);
    const whilePaused = await mw.state();
    const again = await mw.state();
    job.removeEventListener('batch', count);
    const next = nextBatch(job, pausedAt);
    const resumedFrom = await job.resume();
    const afterResume = await next;
    // abort: the result rejects with an AbortError, the worker frees everything
    const aborted = new Promise<{ step: number; memory: { buffers: number; bytes: number } }>((resolve) =>
      job.addEventListener('aborted', (e) => resolve((e as CustomEvent).detail), { once: true }),
    );
    job.abort();
    const rejection = await job.result.then(() => 'resolved', (e: Error) => e.name);
    const abortedDetail = await aborted;
    const afterAbort = await mw.state();
    // the positive control: a 120 ms task on this thread is seen by the same observer
    const controlSeen = new Promise<number>((resolve) => (control = resolve));
    const busy = performance.now();
    while (performance.now() - busy < 120) { /* a deliberate long task */ }
    const controlDuration = await controlSeen;
    obs.disconnect();
    return {
      supported, adapter, detached, trainedMs, observedMs, longTasks, losses, pausedAt, whilePaused, again, batchesWhilePaused,
      resumedFrom, afterResume: afterResume.step, rejection, abortedDetail, afterAbort, controlDuration,
    };
  },

  /** A job aborted mid-training, then two more on the same worker to completion; the model saved to OPFS and to IndexedDB. */
  async trainAndStore() {
    if (!mw) mw = new ModelWorker();
    // aborted after its first batch: the jobs below run on a worker that has been through an abort mid-training
    const cut = mw.train({ spec: SPEC, ...data(1), fitOptions: { epochs: 1_000_000, batchSize: 8, optimizer: { kind: 'adam', lr: 0.02 }, seed: 3 } });
    await new Promise((resolve) => cut.addEventListener('batch', resolve, { once: true }));
    cut.abort();
    const midAbort = { rejection: await cut.result.then(() => 'resolved', (e: Error) => e.name), state: await mw.state() };
    const results = [];
    for (let k = 0; k < 2; k++) {
      const { x, y } = data(1);
      const job = mw.train({ spec: SPEC, x, y, fitOptions: { epochs: 60, batchSize: 8, optimizer: { kind: 'adam', lr: 0.02 }, seed: 3 } });
      const r = await job.result;
      results.push({ memory: r.memory, history: r.history.history.loss, steps: job.step, bytes: r.bytes });
    }
    const state = await mw.state();
    // bad input: refused in the worker by name, before any GPU work; nothing left behind
    const bad = mw.train({ spec: SPEC, x: { data: new Float32Array(N * T * 2), shape: [N, T, 2] }, y: data(1).y });
    const badError = await bad.result.then(() => null, (e: Error & { field?: string }) => ({ name: e.name, field: e.field, message: e.message }));
    const afterBad = await mw.state();
    // a bad spec is refused on the page, at once, by name
    let badSpec: string | null = null;
    try {
      mw.train({ spec: { ...SPEC, hidden: 0 }, x: data(1).x, y: data(1).y });
    } catch (e) {
      badSpec = `${(e as Error).name}: ${(e as Error).message}`;
    }
    // an already aborted signal: the job ends as aborted, nothing left behind
    const signalJob = mw.train({ spec: SPEC, ...data(1), signal: AbortSignal.abort() });
    const signalled = await signalJob.result.then(() => 'resolved', (e: Error) => e.name);
    // continue training the saved model (its weights, optimizer state and step count)
    const more = mw.train({ model: results[1].bytes.slice(), ...data(2), fitOptions: { epochs: 1, batchSize: 8, seed: 3 } });
    const firstLoss = new Promise<number>((resolve) => more.addEventListener('batch', (e) => resolve((e as CustomEvent<BatchEventDetail>).detail.logs.loss), { once: true }));
    const continued = { firstLoss: await firstLoss, result: await more.result.then((r) => ({ memory: r.memory, loss: r.history.history.loss })) };
    const afterAll = await mw.state();
    mw.terminate();
    mw = null;
    const bytes = results[1].bytes;
    const test = delayData(99);
    await saveModelToStorage('delay gru/1', bytes);
    await saveModelToStorage('delay-gru-idb', bytes, { backend: 'indexeddb' });
    return {
      jobs: results.map(({ memory, history, steps }) => ({ memory, history, steps })),
      midAbort, state, badError, afterBad, badSpec, signalled, continued, afterAll,
      bytes: Array.from(bytes),
      testX: Array.from(test.x), testY: Array.from(test.y),
      predictions: await predictions(bytes, test.x),
      listed: { opfs: await listStoredModels({ backend: 'opfs' }), indexeddb: await listStoredModels({ backend: 'indexeddb' }) },
    };
  },

  /** After a reload: both stored models load and predict; then they are deleted. */
  async loadStored() {
    const test = delayData(99);
    const fromOpfs = await loadModelFromStorage('delay gru/1');
    const fromIdb = await loadModelFromStorage('delay-gru-idb', { backend: 'indexeddb' });
    const out = {
      opfs: await predictions(fromOpfs, test.x),
      indexeddb: await predictions(fromIdb, test.x),
      deleted: [await deleteStoredModel('delay gru/1'), await deleteStoredModel('delay-gru-idb', { backend: 'indexeddb' }), await deleteStoredModel('delay gru/1')],
      listedAfter: [...(await listStoredModels()), ...(await listStoredModels({ backend: 'indexeddb' }))],
      missing: await loadModelFromStorage('delay gru/1').then(() => null, (e: Error) => e.message),
      tooLong: await saveModelToStorage('é'.repeat(100), fromOpfs).then(() => null, (e: Error) => `${e.name}: ${e.message}`),
    };
    return out;
  },
};

declare global {
  interface Window {
    __worker?: typeof api;
  }
}
window.__worker = api;
document.getElementById('status')!.textContent = 'ready';
