// The messages between the page (ModelWorker) and the training worker
// (train-worker.ts). Plain structured-cloneable objects; typed arrays in the
// training data and the saved model travel as transferables (moved, not
// copied).
import type { History, Logs, ModelSource, WorkerFitOptions } from './backend';
import type { MemoryTally } from '../gpu/buffers';

/** Page → worker. */
export type ToWorker =
  | { type: 'train'; job: number; source: ModelSource; x: unknown; y: unknown; fitOptions: WorkerFitOptions }
  | { type: 'pause'; job: number }
  | { type: 'resume'; job: number }
  | { type: 'abort'; job: number }
  | { type: 'ping'; id: number };

/** Where a job stands when the worker answers a ping. */
export interface WorkerState {
  /** The job running (null when idle). */
  job: number | null;
  paused: boolean;
  /** Batches finished by the running job. */
  batches: number;
  /** Live GPU buffers and bytes that webgpu-bptt holds on the worker's device. */
  memory: MemoryTally;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; job: number; adapter: string }
  | { type: 'batch'; job: number; epoch: number; batch: number; step: number; logs: Logs }
  | { type: 'epoch'; job: number; epoch: number; logs: Logs }
  | { type: 'paused'; job: number; step: number }
  | { type: 'resumed'; job: number; step: number }
  /** The trained model as bytes (`model.save()`), and the device's live memory after the job's model was destroyed. */
  | { type: 'done'; job: number; bytes: Uint8Array; history: History; memory: MemoryTally }
  | { type: 'aborted'; job: number; step: number; memory: MemoryTally }
  | { type: 'failed'; job: number; error: { name: string; message: string; field?: string; value?: string; limit?: string }; memory: MemoryTally }
  | { type: 'pong'; id: number; state: WorkerState };

/** The ArrayBuffers of every typed array in `values` (one level into plain objects and arrays of them), each once. */
export function transferables(...values: unknown[]): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) seen.add(v.buffer);
    } else if (depth > 0 && v !== null && typeof v === 'object' && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) {
      // arrays of numbers are cloned; only objects/arrays holding typed arrays matter
      const items = Array.isArray(v) ? (v.length > 0 && typeof v[0] === 'object' ? v : []) : Object.values(v);
      for (const item of items) visit(item, depth - 1);
    }
  };
  for (const v of values) visit(v, 3);
  return [...seen];
}
