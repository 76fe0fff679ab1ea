// `webgpu-bptt train`: the chapter's character RNN on a corpus, with a
// progress bar, then perplexity and a generated sample.
import { writeFileSync } from 'node:fs';
import { readRegularFile } from './files';
import { saveCheckpoint } from '../model/checkpoint';
import cliProgress from 'cli-progress';
import { BpttError } from '../errors';
import { BUILTIN_CORPUS } from '../data/builtin';
import { makeCorpus, decodeUtf8, type Preprocess } from '../data/text';
import { loadTimeMachine } from '../node/timemachine';
import { CharLM, type CharLmOptions } from '../lm/charlm';
import { generateText } from '../lm/generate';
import { truncationFromText, type Truncation } from '../engine/truncation';
import { lrScheduleFromText, describeLrSchedule } from '../util/schedule';
import type { OptimizerSpec } from '../engine/trainer';
import { ACTIVATIONS, CELLS, MAX_LAYERS, type Activation, type CellKind } from '../model/config';
import { describeAdapter } from '../gpu/device';
import { createRng } from '../util/rng';
import { RECURRENCE_ROWS } from '../kernels/sequence-kernel';
import { num, str, choice, type Args, type CommandSpec } from './args';
import { DRIVER_OPTION } from './driver-option';

export const MAX_CORPUS_BYTES = 64 * 1024 * 1024;

/** `webgpu-bptt train`: its options (the help is generated from this table). */
export const TRAIN: CommandSpec = {
  name: 'train',
  description: 'Trains the chapter\'s character RNN, prints perplexity and a sample after --prefix.',
  options: {
    corpus: { type: 'string', value: 'builtin|timemachine|FILE', default: 'builtin', help: 'text to train on: builtin is chapters I–II of The Time Machine (shipped);\ntimemachine downloads d2l\'s copy once, checks its sha1 and caches it\n(in $XDG_CACHE_HOME/webgpu-bptt, else ~/.cache/webgpu-bptt);\nFILE: a regular UTF-8 text file of at most 64 MiB' },
    preprocess: { type: 'string', value: 'd2l|raw', default: 'd2l', help: 'd2l: letters and spaces, lower case; raw: as is' },
    cell: { type: 'string', value: CELLS.join('|'), default: 'rnn', help: 'recurrent cell' },
    layers: { type: 'string', value: 'N', default: '1', help: `stacked recurrent layers (1 to ${MAX_LAYERS})` },
    hidden: { type: 'string', value: 'H', default: '128', help: 'hidden units per layer' },
    activation: { type: 'string', value: ACTIVATIONS.join('|'), default: 'tanh', help: 'φ of the rnn cell' },
    batch: { type: 'string', value: 'B', default: '32', help: 'sequences per minibatch' },
    steps: { type: 'string', value: 'T', default: '35', help: 'window length, d2l\'s num_steps' },
    epochs: { type: 'string', value: 'N', default: '15', help: 'passes over the corpus' },
    partition: { type: 'string', value: 'sequential|random', default: 'sequential', help: 'carried state vs random subsequences' },
    truncation: { type: 'string', value: 'SPEC', default: 'full', help: 'full | regular:TAU | randomized:PI[:per-sequence] |\ngeometric:P:MIN[:per-sequence] | tbptt:K1:K2 (full: the whole window)' },
    optimizer: { type: 'string', value: 'sgd|adagrad|adam', default: 'adam', help: 'the chapter\'s is sgd with --lr 1' },
    lr: { type: 'string', value: 'X', help: 'base learning rate (default: sgd 1, adagrad 0.1, adam 0.01)' },
    'lr-schedule': { type: 'string', value: 'constant|step:EVERY:GAMMA|cosine[:MIN]', default: 'constant', help: 'step: × GAMMA every EVERY updates; cosine: from --lr down to MIN\n(0 if omitted) over all epochs' },
    warmup: { type: 'string', value: 'N', default: '0', help: 'linear warm-up of the rate from 0 over the first N updates' },
    beta1: { type: 'string', value: 'β1', default: '0.9', help: 'Adam\'s first-moment decay, in [0, 1)' },
    beta2: { type: 'string', value: 'β2', default: '0.999', help: 'Adam\'s second-moment decay, in [0, 1)' },
    eps: { type: 'string', value: 'ε', default: '1e-8', help: 'Adagrad\'s and Adam\'s ε (> 0)' },
    clip: { type: 'string', value: 'θ|off', default: '1', help: 'global-norm clip threshold' },
    rows: { type: 'string', value: '1|2|4|8', help: 'sequences per workgroup in the recurrence kernels\n(default: the most the batch and the device allow,\nat most 8 on a software adapter and 4 on a GPU)' },
    seed: { type: 'string', value: 'N', default: '0', help: 'seed of the weights, partitioning and truncation' },
    prefix: { type: 'string', value: 'TEXT', default: 'time traveller', help: 'prefix of the sample' },
    temperature: { type: 'string', value: 'X', default: '0', help: 'sampling temperature; 0 = greedy' },
    save: { type: 'string', value: 'FILE', help: 'write a checkpoint (safetensors, PyTorch names) at the end' },
    quiet: { type: 'boolean', help: 'no progress bar (also when stderr is not a terminal)' },
    driver: DRIVER_OPTION,
  },
};

/** The corpus text: built in, The Time Machine, or a regular file (stat first: a device such as /dev/zero is refused). */
async function loadText(spec: string): Promise<string> {
  if (spec === 'builtin') return BUILTIN_CORPUS;
  if (spec === 'timemachine') return loadTimeMachine();
  const bytes = readRegularFile('--corpus', spec, MAX_CORPUS_BYTES, 'builtin, timemachine or a UTF-8 text file');
  return decodeUtf8(bytes, `--corpus ${spec}`);
}

/** Everything `train` needs, checked. */
export interface PreparedTrain {
  opts: CharLmOptions & { hidden: number; batch: number; steps: number; seed: number; truncation: Truncation; optimizer: Required<Pick<OptimizerSpec, 'kind' | 'lr'>> & OptimizerSpec };
  optimizer: string;
  clip: number | null;
  epochs: number;
  temperature: number;
  prefix: string;
  corpusSpec: string;
  corpus: ReturnType<typeof makeCorpus>;
  quiet: boolean;
  save?: string;
  preprocess: Preprocess;
}

/** Check every flag and load the corpus, before any GPU work. */
export async function prepareTrain(args: Args): Promise<PreparedTrain> {
  const preprocess = choice(args, 'preprocess', ['d2l', 'raw'], 'd2l');
  const optimizer = choice(args, 'optimizer', ['sgd', 'adagrad', 'adam'], 'adam');
  const activation = choice(args, 'activation', ACTIVATIONS, 'tanh');
  const cell = choice(args, 'cell', CELLS, 'rnn') as CellKind;
  const partition = choice(args, 'partition', ['sequential', 'random'], 'sequential');
  const clip = str(args, 'clip', '1') === 'off' ? null : num(args, 'clip', 1, { min: Number.MIN_VALUE });
  const defaultLr = { sgd: 1, adagrad: 0.1, adam: 0.01 }[optimizer];
  for (const k of ['beta1', 'beta2'] as const) {
    if (args.flags.has(k) && optimizer !== 'adam') throw new BpttError(`--${k}`, str(args, k, ''), `applies to --optimizer adam only (given: ${optimizer})`);
  }
  if (args.flags.has('eps') && optimizer === 'sgd') throw new BpttError('--eps', str(args, 'eps', ''), 'applies to --optimizer adagrad or adam only (given: sgd)');
  const beta1 = num(args, 'beta1', 0.9, { min: 0 }), beta2 = num(args, 'beta2', 0.999, { min: 0 });
  if (beta1 >= 1) throw new BpttError('--beta1', String(beta1), 'must be in [0, 1)');
  if (beta2 >= 1) throw new BpttError('--beta2', String(beta2), 'must be in [0, 1)');
  const eps = num(args, 'eps', 1e-8, { min: Number.MIN_VALUE });
  const opts = {
    hidden: num(args, 'hidden', 128, { int: true, min: 1 }),
    layers: num(args, 'layers', 1, { int: true, min: 1, max: MAX_LAYERS }),
    cell,
    batch: num(args, 'batch', 32, { int: true, min: 1 }),
    steps: num(args, 'steps', 35, { int: true, min: 1 }),
    activation: activation as Activation,
    truncation: truncationFromText(str(args, 'truncation', 'full')),
    optimizer: { kind: optimizer, lr: num(args, 'lr', defaultLr, { min: 0 }), beta1, beta2, eps },
    clip,
    partition,
    seed: num(args, 'seed', 0, { int: true, min: 0 }),
    rows: args.flags.has('rows') ? num(args, 'rows', 1, { int: true, min: 1, max: 8 }) : undefined,
  };
  if (opts.rows !== undefined && !RECURRENCE_ROWS.includes(opts.rows)) throw new BpttError('--rows', String(opts.rows), 'must be 1, 2, 4 or 8');
  const warmup = num(args, 'warmup', 0, { int: true, min: 0 });
  const epochs = num(args, 'epochs', 15, { int: true, min: 1 });
  const temperature = num(args, 'temperature', 0, { min: 0 });
  const prefix = str(args, 'prefix', 'time traveller');
  const save = args.flags.has('save') ? str(args, 'save', '') : undefined;
  const scheduleText = str(args, 'lr-schedule', 'constant');
  const corpusSpec = str(args, 'corpus', 'builtin');
  const corpus = makeCorpus(await loadText(corpusSpec), preprocess, '--corpus');
  if (corpus.ids.length < opts.batch * opts.steps + opts.steps + 1) {
    throw new BpttError('--corpus', `${corpusSpec} (${corpus.ids.length} characters)`, `is too short for batch=${opts.batch} × steps=${opts.steps}: needs at least ${opts.batch * opts.steps + opts.steps + 1}`);
  }
  // updates per epoch: ⌊(n − offset − 1) / (B·T)⌋ for a random offset < T; the fewest, so a cosine ends at MIN
  const perEpoch = Math.floor((corpus.ids.length - opts.steps) / (opts.batch * opts.steps));
  const lrSchedule = lrScheduleFromText(scheduleText, { warmup, total: Math.max(epochs * perEpoch, warmup + 1) });
  if (lrSchedule.kind === 'cosine' && (lrSchedule.min ?? 0) > opts.optimizer.lr) {
    throw new BpttError('--lr-schedule', JSON.stringify(scheduleText), `MIN must be ≤ --lr = ${opts.optimizer.lr}`);
  }
  opts.truncation.check(opts.steps);
  const quiet = args.flags.has('quiet') || !process.stderr.isTTY;
  return { opts: { ...opts, lrSchedule }, optimizer, clip, epochs, temperature, prefix, corpusSpec, corpus, quiet, save, preprocess };
}

/** Train (after prepareTrain), print perplexity and a sample, save a checkpoint when asked. */
export async function train(device: GPUDevice, p: PreparedTrain): Promise<void> {
  const { opts, optimizer, clip, epochs, temperature, prefix, corpusSpec, corpus, quiet } = p;
  const lm = new CharLM(device, corpus, opts);
  console.log(
    `webgpu-bptt: corpus ${corpusSpec} (${corpus.ids.length} characters, vocab ${corpus.vocab.size}), ` +
      `${opts.cell}×${opts.layers} H=${opts.hidden} B=${opts.batch} T=${opts.steps} ${opts.truncation.describe} ${optimizer} lr=${opts.optimizer.lr} ` +
      `(${describeLrSchedule(opts.lrSchedule!)}) clip=${clip ?? 'off'}`,
  );
  console.log(`device: ${describeAdapter(device)}`);
  const bar = quiet
    ? null
    : new cliProgress.SingleBar(
        { format: 'epoch {epoch}/{epochs} |{bar}| {value}/{total} steps | loss {loss} | {tps} tok/s', hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
  try {
    let last = null;
    let skipped = 0, steps = 0;
    for (let e = 1; e <= epochs; e++) {
      let started = false;
      last = await lm.trainEpoch((s) => {
        if (!bar) return;
        const payload = { epoch: e, epochs, loss: Number.isFinite(s.loss) ? s.loss.toFixed(3) : '…', tps: Math.round(s.tokensPerSecond) };
        if (!started) {
          bar.start(s.epochSteps, 0, payload);
          started = true;
        }
        bar.update(s.epochStep, payload);
      });
      bar?.stop();
      skipped += last.skipped;
      steps += last.steps;
      if (quiet && (e === 1 || e === epochs || e % Math.max(1, Math.floor(epochs / 10)) === 0)) {
        console.log(`epoch ${e}/${epochs}: perplexity ${last.perplexity.toFixed(2)}, ${Math.round(last.tokensPerSecond)} tokens/s`);
      }
    }
    // on the GPU, so every cell and depth can be sampled
    const sample = await generateText(device, lm.trainer.engine.config, await lm.trainer.weights(), corpus.vocab, prefix, 50, temperature, createRng(opts.seed));
    console.log(`perplexity ${last!.perplexity.toFixed(2)}, ${Math.round(last!.tokensPerSecond)} tokens/s on ${describeAdapter(device)}`);
    console.log(`sample: ${sample}`);
    if (p.save) {
      const snap = await lm.trainer.snapshot();
      writeFileSync(p.save, saveCheckpoint({ config: snap.config, weights: snap.weights, optimizer: snap.optimizer, vocab: corpus.vocab.idxToToken, step: snap.calls, extra: { preprocess: p.preprocess } }));
      console.log(`saved ${p.save} (safetensors with PyTorch's names, the vocabulary and the optimizer state)`);
    }
    if (skipped > 0) console.log(skippedReport(skipped, steps, p));
  } finally {
    bar?.stop();
    lm.destroy();
  }
}

/**
 * The closing line when steps were skipped as non-finite: how many, and what
 * to change (the chapter's exploding gradients).
 */
export function skippedReport(skipped: number, steps: number, p: Pick<PreparedTrain, 'clip' | 'opts'>): string {
  const advice = [`lower --lr (now ${p.opts.optimizer.lr})`];
  if (p.clip === null) advice.push('turn clipping on (--clip 1)');
  if (p.opts.activation !== 'tanh') advice.push('use --activation tanh');
  return (
    `warning: ${skipped} of ${steps} steps were skipped: their loss or gradient norm was NaN or infinite ` +
    `(exploding gradients), so their updates were not applied. To fix it: ${advice.join(', ')}.`
  );
}
