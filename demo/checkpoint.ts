// Checkpoints in the demo: a run's weights and optimizer state out as
// safetensors bytes (the library's saveCheckpoint), and back in
// (loadCheckpoint), with the page's settings in the metadata so a loaded
// file rebuilds the same model and optimizer.
import { saveCheckpoint, loadCheckpoint, decodeSafetensors, BpttError, type CheckpointData, type RnnConfig, type Trainer, type Truncation } from '../src/index';
import { parseSettings, toQuery, MAX_DEMO_LAYERS, type Settings } from './settings';
import type { Source } from './data';
import { t } from './i18n';

/** The largest checkpoint file the page reads. */
export const MAX_CHECKPOINT_BYTES = 256 * 2 ** 20;

/** The tokens of a source in id order (what the checkpoint's vocabulary lists). */
export function tokensOf(source: Source): string[] {
  return source.corpus ? source.corpus.vocab.idxToToken.slice() : source.chars.slice();
}

/** A run's trainer and settings (in the training worker). */
export interface TrainerRun {
  trainer: Trainer;
  settings: Settings;
}

/** The run's weights and optimizer state, read back after every submitted step, as safetensors bytes (in the worker). */
export async function checkpointBytes(run: TrainerRun, source: Source): Promise<Uint8Array> {
  const snap = await run.trainer.snapshot();
  return saveCheckpoint({
    config: snap.config,
    weights: snap.weights,
    optimizer: snap.optimizer,
    vocab: tokensOf(source),
    step: snap.calls,
    extra: { demo_settings: toQuery(run.settings), demo_data: source.name },
  });
}

/** A file name for the run's checkpoint. */
export function checkpointName(run: { truncation: Truncation; settings: Settings; steps: number }): string {
  return `bptt-${run.truncation.kind}-h${run.settings.hidden}-step${run.steps}.safetensors`;
}

/** A checkpoint read from bytes, and the settings that rebuild its model and optimizer over `current`. */
export interface LoadedCheckpoint {
  data: CheckpointData;
  settings: Settings;
}

/**
 * Read checkpoint bytes. A file without the page's settings (e.g. a PyTorch
 * state dict) is read against `expect`, the current model. Throws a BpttError
 * or an Error with a message a visitor can act on.
 */
export function readCheckpoint(bytes: Uint8Array, name: string, current: Settings, expect: RnnConfig): LoadedCheckpoint {
  if (bytes.length > MAX_CHECKPOINT_BYTES) throw new Error(t('tooBig', { name, mib: (bytes.length / 2 ** 20).toFixed(1), limit: MAX_CHECKPOINT_BYTES / 2 ** 20 }));
  const { metadata } = decodeSafetensors(bytes, name);
  const data = loadCheckpoint(bytes, metadata.config ? undefined : expect, name);
  const c = data.config;
  if (c.input !== 'tokens' || c.loss !== 'softmax-xent' || (c.layers ?? 1) > MAX_DEMO_LAYERS) {
    throw new Error(t('notCharModel', { name, layers: c.layers ?? 1, cell: c.cell ?? 'rnn', input: c.input, loss: c.loss, max: MAX_DEMO_LAYERS }));
  }
  const saved = data.extra?.demo_settings ? new URLSearchParams(data.extra.demo_settings) : null;
  const settings = parseSettings((k) => saved?.get(k) ?? null, current);
  settings.hidden = c.hidden;
  settings.cell = c.cell ?? 'rnn';
  settings.layers = c.layers ?? 1;
  settings.activation = c.activation ?? 'tanh';
  settings.bias = c.bias;
  if (data.optimizer) settings.optimizer = data.optimizer.kind as Settings['optimizer'];
  return { data, settings };
}

/**
 * Put a loaded checkpoint on a run built from its settings (in the worker):
 * the weights, the optimizer state and the step counter. The run's model and
 * data must match the file's (same config and vocabulary), or nothing is
 * changed. The page continues its step counter from data.step.
 */
export function restoreRun(run: TrainerRun, source: Source, data: CheckpointData, name: string): void {
  const have = run.trainer.engine.config;
  for (const k of Object.keys(data.config) as (keyof RnnConfig)[]) {
    if (data.config[k] !== have[k]) {
      const hint = k === 'inputSize' ? ` The file was trained on ${data.extra?.demo_data ?? 'other data'}; choose the same data source first.` : '';
      throw new BpttError(`${name} config.${k}`, JSON.stringify(data.config[k]), `does not match this page's model (${JSON.stringify(have[k])}).${hint}`);
    }
  }
  if (data.vocab) {
    const mine = tokensOf(source);
    const at = data.vocab.findIndex((t, i) => t !== mine[i]);
    if (at >= 0) throw new BpttError(`${name} vocab[${at}]`, JSON.stringify(data.vocab[at]), `is ${JSON.stringify(mine[at])} in this page's data (${source.name}); the file was trained on ${data.extra?.demo_data ?? 'other data'}.`);
  }
  const kind = run.trainer.optimizer.kind;
  const optimizer = data.optimizer && data.optimizer.kind === kind ? { kind, step: data.optimizer.step, s1: data.optimizer.s1, s2: data.optimizer.s2 } : { kind, step: 0 };
  run.trainer.restore({ config: have, calls: data.step, weights: data.weights, optimizer });
}
