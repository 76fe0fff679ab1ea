// The messages between the demo page (demo/main.ts) and its training worker
// (demo/training-worker.ts). The page sends requests, each with an id, and gets
// one reply per id; the worker also sends events (each step's numbers, GPU
// errors) tagged with the generation of runs they belong to, so numbers from
// runs the page has since replaced are dropped.
import type { RnnConfig, OptimizerSpec, CheckpointData, Weights } from '../src/index';
import type { Settings } from './settings';
import type { Lang } from './i18n';

/** What the page knows of the worker's data source. */
export interface SourceInfo {
  name: string;
  vocabSize: number;
  /** Characters for the token ids (segment figure). */
  chars: string[];
  /** Characters in the corpus, when the source is text (generation needs it); null for the delay task. */
  corpusLength: number | null;
}

/** A run as the worker built it: its model and its checked optimizer. */
export interface RunInfo {
  config: RnnConfig;
  optimizer: Required<OptimizerSpec>;
}

export type Request =
  | { type: 'init' }
  /** Destroy the runs, then build one per settings (shared data and initial weights); their events carry `gen`. */
  | { type: 'build'; gen: number; lang: Lang; settings: Settings[]; custom: { name: string; text: string } | null }
  /** Destroy every run. */
  | { type: 'clear' }
  /** Train until paused; the reply comes once the loop has stopped and every step's numbers have been sent. */
  | { type: 'train' }
  /** Stop the training loop (no reply: the 'train' request's reply says it stopped). */
  | { type: 'pause' }
  /** One step of every run; the reply comes once its numbers have been sent. */
  | { type: 'step' }
  | { type: 'checkpoint'; run: number }
  /** The run's config and weights after every submitted step (the page writes the ONNX file from them). */
  | { type: 'weights'; run: number }
  | { type: 'generate'; prefix: string; temperature: number; seed: number }
  | { type: 'restore'; data: CheckpointData; name: string }
  /** Live GPU memory in the worker (the library's liveMemory tally). */
  | { type: 'memory' };

export type RequestMessage = Request & { id: number };

export interface Replies {
  init: { adapter: string };
  build: { source: SourceInfo; runs: RunInfo[] };
  clear: null;
  train: { nonfinite: boolean; error: string | null };
  pause: null;
  step: { error: string | null };
  checkpoint: { bytes: Uint8Array };
  weights: { config: RnnConfig; weights: Weights };
  generate: { greedy: string; sampled: string } | null;
  restore: null;
  memory: { buffers: number; bytes: number };
}

export type ReplyMessage =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  /** `bptt`: the error was the library's BpttError (a setting or file the visitor can fix). */
  | { kind: 'reply'; id: number; ok: false; message: string; bptt: boolean };

/** Per-step numbers of run `run` of generation `gen`. */
export type WorkerEvent =
  | { kind: 'step'; gen: number; run: number; n: number; xi: Float32Array; plan: { streams: number; T: number; B: number; data: Float32Array }; tokens: Uint32Array }
  | { kind: 'stats'; gen: number; run: number; n: number; loss: number; gradNorm: number; skipped: boolean; lr: number; clippedTotal: number; skippedTotal: number }
  | { kind: 'diag'; gen: number; run: number; n: number; dh: Float32Array; dc: Float32Array; rho: number }
  | { kind: 'gpuError'; message: string }
  | { kind: 'deviceLost'; reason: string; message: string };

export type FromWorker = ReplyMessage | WorkerEvent;
