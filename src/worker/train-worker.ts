// The training worker: a dedicated Web Worker (WebGPU is available in
// workers) that fits one model at a time and hands it back as bytes. Start it
// through ModelWorker / trainInWorker (model-worker.ts), which speak
// protocol.ts with it.
//
// One GPU device per worker, requested on the first job and kept for the
// next ones (requested again if it is lost). Each job's model is destroyed
// when the job ends — done, aborted or failed — so the device's live memory
// (liveMemory) is back to zero between jobs; each ending message reports it.
import { requestTrainingDevice, describeAdapter } from '../gpu/device';
import { liveMemory } from '../gpu/buffers';
import { BpttError } from '../errors';
import { modelFrom, fitPaced } from './backend';
import type { Model } from '../api/model';
import type { Trainer } from '../engine/trainer';
import { transferables, type FromWorker, type ToWorker } from './protocol';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

interface Job {
  id: number;
  controller: AbortController;
  paused: boolean;
  /** Resolves the wait of a paused job (set while it waits). */
  wake: (() => void) | null;
  /** Batches whose loss has arrived (onBatchEnd). */
  step: number;
}

let device: Promise<GPUDevice> | null = null;
let current: Job | null = null;

function getDevice(): Promise<GPUDevice> {
  if (!device) {
    const d = requestTrainingDevice(navigator.gpu, { label: 'webgpu-bptt worker' });
    device = d;
    d.then((dev) => dev.lost.then(() => { if (device === d) device = null; }), () => { if (device === d) device = null; });
  }
  return device;
}

async function memory() {
  if (!device) return { buffers: 0, bytes: 0 };
  const d = await device.catch(() => null);
  return d ? liveMemory(d) : { buffers: 0, bytes: 0 };
}

/**
 * Before each step is submitted. While the job is paused: let the steps in
 * flight finish and report (trainer.flush: their onBatchEnd has run when it
 * resolves), say 'paused', and wait for resume or abort. After an abort: the
 * same flush, so that no step is in flight when the model is destroyed, then
 * an AbortError.
 */
async function gate(job: Job, trainer: Trainer) {
  const signal = job.controller.signal;
  if (job.paused || signal.aborted) await trainer.flush();
  if (job.paused && !signal.aborted) {
    post({ type: 'paused', job: job.id, step: job.step });
    await new Promise<void>((resolve) => (job.wake = resolve));
    job.wake = null;
    if (!signal.aborted) post({ type: 'resumed', job: job.id, step: job.step });
  }
  if (signal.aborted) await trainer.flush();
  signal.throwIfAborted();
}

async function train(m: Extract<ToWorker, { type: 'train' }>) {
  const job: Job = { id: m.job, controller: new AbortController(), paused: false, wake: null, step: 0 };
  current = job;
  const signal = job.controller.signal;
  let model: Model | null = null;
  let dev: GPUDevice | null = null;
  try {
    dev = await getDevice();
    model = modelFrom(dev, m.source);
    post({ type: 'started', job: job.id, adapter: describeAdapter(dev) });
    let epoch = 0;
    const history = await fitPaced(model, m.x, m.y, m.fitOptions, {
      signal,
      beforeStep: (trainer) => gate(job, trainer),
      onBatchEnd: (batch, logs) => {
        job.step += 1;
        post({ type: 'batch', job: job.id, epoch, batch, step: job.step, logs });
      },
      onEpochEnd: (e, logs) => {
        post({ type: 'epoch', job: job.id, epoch: e, logs });
        epoch = e + 1;
      },
    });
    signal.throwIfAborted(); // an abort that came while the last steps ran still ends the job as aborted
    const bytes = await model.save();
    model.destroy();
    model = null;
    await dev.queue.onSubmittedWorkDone();
    post({ type: 'done', job: job.id, bytes, history, memory: liveMemory(dev) }, transferables(bytes));
  } catch (e) {
    model?.destroy();
    model = null;
    if (dev) await dev.queue.onSubmittedWorkDone().catch(() => {});
    const mem = await memory();
    if (job.controller.signal.aborted) {
      post({ type: 'aborted', job: job.id, step: job.step, memory: mem });
    } else {
      const err = e as Error;
      const error = err instanceof BpttError
        ? { name: err.name, message: err.message, field: err.field, value: err.value, limit: err.limit }
        : { name: err?.name ?? 'Error', message: String(err?.message ?? err) };
      post({ type: 'failed', job: job.id, error, memory: mem });
    }
  } finally {
    if (current === job) current = null;
  }
}

scope.addEventListener('message', (e) => {
  const m = e.data;
  switch (m.type) {
    case 'train':
      if (current) {
        const busy = { name: 'BpttError', message: `job = ${m.job}: job ${current.id} is still running; one job at a time per worker` };
        void memory().then((mem) => post({ type: 'failed', job: m.job, error: busy, memory: mem }));
      } else void train(m);
      break;
    case 'pause':
      if (current?.id === m.job) current.paused = true;
      break;
    case 'resume':
      if (current?.id === m.job) {
        current.paused = false;
        current.wake?.();
      }
      break;
    case 'abort':
      if (current?.id === m.job) {
        current.controller.abort();
        current.wake?.();
      }
      break;
    case 'ping':
      void memory().then((mem) => post({ type: 'pong', id: m.id, state: { job: current?.id ?? null, paused: current?.paused ?? false, batches: current?.step ?? 0, memory: mem } }));
      break;
  }
});

post({ type: 'ready' });
