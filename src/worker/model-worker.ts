// Training off the main thread: the page's side of the training worker.
//
//   const job = trainInWorker({ spec, x, y, fitOptions: { epochs: 5 } });
//   job.addEventListener('batch', (e) => chart(e.detail.logs.loss));
//   job.pause(); job.resume(); job.abort();
//   const { bytes } = await job.result;       // the trained model, saved
//   const model = await loadModel(device, bytes);
//
// The model comes back as bytes (model.save()'s checkpoint), not as a handle
// into the worker: the worker destroys its model when the job ends, and the
// page loads the bytes on its own device, or stores them (src/storage).
// x and y are what Model.fit takes: nested arrays (copied to the worker) or
// typed arrays with a shape, { data, shape } (their buffers are transferred:
// the page's arrays are detached afterwards; pass copies to keep them). The
// same goes for `lengths`, validation data, and `model` bytes.
import { checkSpec, type ModelSpec } from '../api/spec';
import type { CreateModelOptions } from '../api/model';
import type { ArrayData } from '../api/arrays';
import type { MemoryTally } from '../gpu/buffers';
import { BpttError, show } from '../errors';
import type { History, Logs, ModelSource, WorkerFitOptions } from './backend';
import { transferables, type FromWorker, type ToWorker, type WorkerState } from './protocol';

export type { History, Logs, WorkerFitOptions, WorkerState };

/** One training job: a new model from `spec`, or a saved one (`model`) trained further. */
export interface TrainJobOptions {
  /** The model to create (createModel's spec); checked on the page before the job starts. */
  spec?: ModelSpec;
  /** createModel's options (seed, init, weights). */
  modelOptions?: CreateModelOptions;
  /** Or continue from a saved model: model.save()'s bytes (e.g. from loadModelFromStorage); its optimizer state carries on. */
  model?: Uint8Array;
  /** Inputs, as Model.fit takes them: [N][T][d] / [N][T] token ids, or { data, shape }. */
  x: ArrayData;
  /** Targets shaped to the head, as Model.fit takes them. */
  y: ArrayData;
  /** Model.fit's options, less callbacks and signal (the job's events and abort() stand in); truncation as text or a spec. */
  fitOptions?: WorkerFitOptions;
  /** Aborting it aborts the job. */
  signal?: AbortSignal;
}

/** What a finished job hands back. */
export interface TrainResult {
  /** The trained model (model.save()): load it with loadModel, or store it with saveModelToStorage. */
  bytes: Uint8Array;
  /** fit's History: per epoch, loss (and accuracy, val_loss, val_accuracy). */
  history: History;
  /** Live GPU memory on the worker's device after the job's model was destroyed (0 buffers). */
  memory: MemoryTally;
}

/** The `batch` event's detail. */
export interface BatchEventDetail {
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Batches finished by this job (1-based). */
  step: number;
  /** loss (the batch's mean, before its update) and size (its sequences). */
  logs: Logs;
}

/**
 * A job in the worker. Events (CustomEvent): 'started' ({ adapter }),
 * 'batch' (BatchEventDetail), 'epoch' ({ epoch, logs }), 'paused' and
 * 'resumed' ({ step }), 'done' (TrainResult), 'aborted' ({ step, memory }),
 * 'failed' (the Error). `result` resolves with the model, or rejects with an
 * AbortError (abort) or the worker's error (a BpttError for bad input).
 */
export class TrainingJob extends EventTarget {
  readonly result: Promise<TrainResult>;
  /** Batches finished so far. */
  step = 0;
  /** 'running' until it ends. */
  status: 'running' | 'paused' | 'done' | 'aborted' | 'failed' = 'running';
  private settle!: { resolve: (r: TrainResult) => void; reject: (e: unknown) => void };

  constructor(readonly id: number, private readonly send: (m: ToWorker) => void) {
    super();
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => {}); // a job nobody awaits is not an unhandled rejection
  }

  /** Pause after the batch in progress; resolves with the step it paused at. */
  pause(): Promise<number> {
    return this.request('pause', 'paused');
  }

  /** Resume a paused job; resolves with the step it resumed from. */
  resume(): Promise<number> {
    return this.request('resume', 'resumed');
  }

  /** Stop after the batch in progress; `result` rejects with an AbortError, the worker frees the model. */
  abort(): void {
    if (this.ended) return;
    this.send({ type: 'abort', job: this.id });
  }

  get ended(): boolean {
    return this.status === 'done' || this.status === 'aborted' || this.status === 'failed';
  }

  private request(type: 'pause' | 'resume', event: 'paused' | 'resumed'): Promise<number> {
    if (this.ended) return Promise.reject(new BpttError('job', this.status, `cannot ${type}: the job has ended`));
    if ((type === 'pause') === (this.status === 'paused')) return Promise.resolve(this.step);
    return new Promise((resolve, reject) => {
      const ok = (e: Event) => {
        this.removeEventListener('end', end);
        resolve((e as CustomEvent<{ step: number }>).detail.step);
      };
      const end = () => {
        this.removeEventListener(event, ok);
        reject(new BpttError('job', this.status, `ended before it ${event}`));
      };
      this.addEventListener(event, ok, { once: true });
      this.addEventListener('end', end, { once: true });
      this.send({ type, job: this.id });
    });
  }

  /** @internal A message from the worker about this job. */
  receive(m: FromWorker): void {
    if (this.ended) return;
    const emit = (type: string, detail: unknown) => this.dispatchEvent(new CustomEvent(type, { detail }));
    switch (m.type) {
      case 'started':
        return void emit('started', { adapter: m.adapter });
      case 'batch':
        this.step = m.step;
        return void emit('batch', { epoch: m.epoch, batch: m.batch, step: m.step, logs: m.logs } satisfies BatchEventDetail);
      case 'epoch':
        return void emit('epoch', { epoch: m.epoch, logs: m.logs });
      case 'paused':
        this.status = 'paused';
        return void emit('paused', { step: m.step });
      case 'resumed':
        this.status = 'running';
        return void emit('resumed', { step: m.step });
      case 'done': {
        this.status = 'done';
        const r: TrainResult = { bytes: m.bytes, history: m.history, memory: m.memory };
        this.settle.resolve(r);
        emit('done', r);
        return void emit('end', null);
      }
      case 'aborted':
        this.status = 'aborted';
        this.settle.reject(new DOMException(`job ${this.id} aborted after ${m.step} batches`, 'AbortError'));
        emit('aborted', { step: m.step, memory: m.memory });
        return void emit('end', null);
      case 'failed': {
        this.status = 'failed';
        const e = m.error;
        const err = e.field !== undefined ? new BpttError(e.field, e.value ?? '', e.limit ?? '') : Object.assign(new Error(e.message), { name: e.name });
        this.settle.reject(err);
        emit('failed', err);
        return void emit('end', null);
      }
    }
  }
}

/** The worker that ships with the library (Vite and other bundlers emit it from this URL). */
export function createTrainingWorker(): Worker {
  return new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'webgpu-bptt' });
}

/**
 * A training worker that runs jobs one at a time and keeps its GPU device
 * between them. Pass your own Worker (e.g. from your bundler's worker
 * import of 'webgpu-bptt/worker') or let it start the library's.
 */
export class ModelWorker {
  readonly worker: Worker;
  private readonly jobs = new Map<number, TrainingJob>();
  private readonly pings = new Map<number, (s: WorkerState) => void>();
  private next = 1;
  private terminated = false;

  constructor(worker: Worker = createTrainingWorker()) {
    this.worker = worker;
    worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.receive(e.data));
    worker.addEventListener('error', (e: ErrorEvent) => this.fail(new Error(`training worker: ${e.message || 'failed to start'}`)));
  }

  /** Start a job (one at a time: a second one while one runs is refused). */
  train(options: TrainJobOptions): TrainingJob {
    if (this.terminated) throw new BpttError('worker', 'terminated', 'this ModelWorker was terminated; create a new one');
    if (typeof options !== 'object' || options === null) throw new BpttError('options', show(options), 'must be { spec | model, x, y, fitOptions? }');
    let source: ModelSource;
    if (options.model !== undefined) {
      if (!(options.model instanceof Uint8Array)) throw new BpttError('options.model', show(options.model), 'must be a Uint8Array (model.save())');
      if (options.modelOptions !== undefined) throw new BpttError('options.modelOptions', show(options.modelOptions), 'is for a new model (spec), not a saved one (model)');
      source = { model: options.model, spec: options.spec };
    } else if (options.spec !== undefined) {
      checkSpec(options.spec, 'options.spec');
      source = { spec: options.spec, modelOptions: options.modelOptions };
    } else throw new BpttError('options.spec', 'undefined', 'give spec (a new model) or model (saved bytes to continue from)');
    if (options.x === undefined) throw new BpttError('options.x', 'undefined', 'must be the inputs: [N][T][d], [N][T] or { data, shape }');
    if (options.y === undefined) throw new BpttError('options.y', 'undefined', 'must be the targets, shaped to the head');
    for (const job of this.jobs.values()) {
      if (!job.ended) throw new BpttError('job', String(job.id), 'is still running: one job at a time per worker (abort it or await its result)');
    }
    const id = this.next++;
    const job = new TrainingJob(id, (m) => this.worker.postMessage(m));
    this.jobs.set(id, job);
    job.addEventListener('end', () => this.jobs.delete(id), { once: true });
    const m: ToWorker = { type: 'train', job: id, source, x: options.x, y: options.y, fitOptions: options.fitOptions ?? {} };
    this.worker.postMessage(m, transferables(options.x, options.y, options.fitOptions, options.model, options.modelOptions));
    if (options.signal) {
      if (options.signal.aborted) job.abort(); // after 'train': the worker sees them in this order
      else options.signal.addEventListener('abort', () => job.abort(), { once: true });
    }
    return job;
  }

  /** The worker's state: the running job, its batches, and the live GPU memory on its device. */
  state(): Promise<WorkerState> {
    if (this.terminated) return Promise.reject(new BpttError('worker', 'terminated', 'this ModelWorker was terminated'));
    const id = this.next++;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.worker.postMessage({ type: 'ping', id } satisfies ToWorker);
    });
  }

  /** Stop the worker (its device and everything on it go with it); running jobs fail. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.worker.terminate();
    this.fail(new BpttError('worker', 'terminated', 'the worker was terminated while the job ran'));
  }

  private fail(err: Error) {
    for (const job of [...this.jobs.values()]) {
      job.receive({ type: 'failed', job: job.id, error: err instanceof BpttError ? { name: err.name, message: err.message, field: err.field, value: err.value, limit: err.limit } : { name: err.name, message: err.message }, memory: { buffers: 0, bytes: 0 } });
    }
  }

  private receive(m: FromWorker) {
    if (m.type === 'pong') {
      this.pings.get(m.id)?.(m.state);
      this.pings.delete(m.id);
    } else if (m.type !== 'ready') {
      this.jobs.get(m.job)?.receive(m);
    }
  }
}

/** One job in a worker of its own, terminated when the job ends. */
export function trainInWorker(options: TrainJobOptions & { worker?: Worker }): TrainingJob {
  const w = new ModelWorker(options.worker);
  let job: TrainingJob;
  try {
    job = w.train(options);
  } catch (e) {
    w.terminate();
    throw e;
  }
  job.addEventListener('end', () => w.terminate(), { once: true });
  return job;
}
