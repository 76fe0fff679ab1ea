// `webgpu-bptt train`: the chapter's character RNN on a corpus, with a
// progress bar, then perplexity and a generated sample.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { saveCheckpoint } from '../model/checkpoint';
import cliProgress from 'cli-progress';
import { BpttError } from '../errors';
import { BUILTIN_CORPUS } from '../data/builtin';
import { makeCorpus, decodeUtf8, type Preprocess } from '../data/text';
import { loadTimeMachine } from '../node/timemachine';
import { CharLM } from '../lm/charlm';
import { full, regular, randomized, type Truncation } from '../engine/truncation';
import { ACTIVATIONS, type Activation } from '../model/config';
import { describeAdapter } from '../gpu/device';
import { createRng } from '../util/rng';
import { num, str, type Args } from './args';

export const MAX_CORPUS_BYTES = 64 * 1024 * 1024;

export const TRAIN_FLAGS = [
  'corpus', 'preprocess', 'hidden', 'batch', 'steps', 'epochs', 'optimizer', 'lr', 'clip', 'truncation',
  'partition', 'activation', 'seed', 'prefix', 'temperature', 'driver', 'quiet', 'help', 'rows', 'save',
] as const;

export const TRAIN_HELP = `Usage: webgpu-bptt train [options]

  --corpus builtin|timemachine|FILE  text to train on (default builtin: chapters I–II of
                                     The Time Machine, shipped; timemachine downloads d2l's copy
                                     once, checks its sha1 and caches it; FILE: any UTF-8 .txt)
  --preprocess d2l|raw               d2l: letters and spaces, lower case (default); raw: as is
  --hidden H          hidden units (default 128)
  --batch B           sequences per minibatch (default 32)
  --steps T           window length, d2l's num_steps (default 35)
  --epochs N          passes over the corpus (default 15)
  --optimizer sgd|adagrad|adam  (default adam; the chapter's is sgd with --lr 1)
  --lr X              (default: sgd 1, adagrad 0.1, adam 0.01)
  --clip θ|off        global-norm clip threshold (default 1)
  --truncation full|regular:τ|randomized:π  (default full: the whole window)
  --partition sequential|random   carried state vs random subsequences (default sequential)
  --activation tanh|relu|identity (default tanh)
  --seed N            (default 0)
  --prefix TEXT       prefix for the sample (default "time traveller")
  --temperature X     0 = greedy (default 0)
  --save FILE         write a checkpoint (safetensors, PyTorch names) at the end
  --quiet             no progress bar`;

export function parseTruncation(spec: string): Truncation {
  const [kind, arg] = spec.split(':');
  if (kind === 'full' && arg === undefined) return full();
  if (kind === 'regular') return regular(Number(arg));
  if (kind === 'randomized') return randomized(Number(arg));
  throw new BpttError('--truncation', spec, 'must be full, regular:τ (an integer ≥ 1) or randomized:π (0 < π ≤ 1)');
}

async function loadText(spec: string): Promise<string> {
  if (spec === 'builtin') return BUILTIN_CORPUS;
  if (spec === 'timemachine') return loadTimeMachine();
  let size: number;
  try {
    size = statSync(spec).size;
  } catch {
    throw new BpttError('--corpus', spec, 'cannot be read (builtin, timemachine or a path to a UTF-8 text file)');
  }
  if (size > MAX_CORPUS_BYTES) throw new BpttError('--corpus', `${spec} (${size} bytes)`, `must be at most ${MAX_CORPUS_BYTES} bytes`);
  return decodeUtf8(new Uint8Array(readFileSync(spec)), `--corpus ${spec}`);
}

export interface PreparedTrain {
  opts: ConstructorParameters<typeof CharLM>[2] & { truncation: ReturnType<typeof parseTruncation>; optimizer: { kind: 'sgd'; lr: number }; hidden: number; batch: number; steps: number; seed: number };
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
  const preprocess = str(args, 'preprocess', 'd2l');
  if (preprocess !== 'd2l' && preprocess !== 'raw') throw new BpttError('--preprocess', preprocess, 'must be d2l or raw');
  const optimizer = str(args, 'optimizer', 'adam');
  if (!['sgd', 'adagrad', 'adam'].includes(optimizer)) throw new BpttError('--optimizer', optimizer, 'must be sgd, adagrad or adam');
  const activation = str(args, 'activation', 'tanh');
  if (!ACTIVATIONS.includes(activation as Activation)) throw new BpttError('--activation', activation, 'must be tanh, relu or identity');
  const partition = str(args, 'partition', 'sequential');
  if (partition !== 'sequential' && partition !== 'random') throw new BpttError('--partition', partition, 'must be sequential or random');
  const clipArg = str(args, 'clip', '1');
  const clip = clipArg === 'off' ? null : num(args, 'clip', 1, { min: Number.MIN_VALUE });
  const defaultLr = { sgd: 1, adagrad: 0.1, adam: 0.01 }[optimizer as 'sgd'];
  const opts = {
    hidden: num(args, 'hidden', 128, { int: true, min: 1 }),
    batch: num(args, 'batch', 32, { int: true, min: 1 }),
    steps: num(args, 'steps', 35, { int: true, min: 1 }),
    activation: activation as Activation,
    truncation: parseTruncation(str(args, 'truncation', 'full')),
    optimizer: { kind: optimizer as 'sgd', lr: num(args, 'lr', defaultLr, { min: 0 }) },
    clip,
    partition: partition as 'sequential',
    seed: num(args, 'seed', 0, { int: true, min: 0 }),
    rows: num(args, 'rows', 1, { int: true, min: 1, max: 4 }),
  };
  const epochs = num(args, 'epochs', 15, { int: true, min: 1 });
  const temperature = num(args, 'temperature', 0, { min: 0 });
  const prefix = str(args, 'prefix', 'time traveller');
  const corpusSpec = str(args, 'corpus', 'builtin');
  const corpus = makeCorpus(await loadText(corpusSpec), preprocess as Preprocess, '--corpus');
  if (corpus.ids.length < opts.batch * opts.steps + opts.steps + 1) {
    throw new BpttError('--corpus', `${corpusSpec} (${corpus.ids.length} characters)`, `is too short for batch=${opts.batch} × steps=${opts.steps}: needs at least ${opts.batch * opts.steps + opts.steps + 1}`);
  }
  opts.truncation.check(opts.steps);
  const quiet = args.flags.has('quiet') || !process.stderr.isTTY;
  const save = args.flags.has('save') ? str(args, 'save', '') : undefined;
  return { opts, optimizer, clip, epochs, temperature, prefix, corpusSpec, corpus, quiet, save, preprocess: preprocess as Preprocess };
}

/** Train (after prepareTrain), print perplexity and a sample, save a checkpoint when asked. */
export async function train(device: GPUDevice, p: PreparedTrain): Promise<void> {
  const { opts, optimizer, clip, epochs, temperature, prefix, corpusSpec, corpus, quiet } = p;
  const lm = new CharLM(device, corpus, opts);
  console.log(
    `webgpu-bptt: corpus ${corpusSpec} (${corpus.ids.length} characters, vocab ${corpus.vocab.size}), ` +
      `H=${opts.hidden} B=${opts.batch} T=${opts.steps} ${opts.truncation.describe} ${optimizer} lr=${opts.optimizer.lr} clip=${clip ?? 'off'}`,
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
      if (quiet && (e === 1 || e === epochs || e % Math.max(1, Math.floor(epochs / 10)) === 0)) {
        console.log(`epoch ${e}/${epochs}: perplexity ${last.perplexity.toFixed(2)}, ${Math.round(last.tokensPerSecond)} tokens/s`);
      }
    }
    const sample = await lm.predict(prefix, 50, temperature, createRng(opts.seed));
    console.log(`perplexity ${last!.perplexity.toFixed(2)}, ${Math.round(last!.tokensPerSecond)} tokens/s on ${describeAdapter(device)}`);
    console.log(`sample: ${sample}`);
    if (p.save) {
      const snap = await lm.trainer.snapshot();
      writeFileSync(p.save, saveCheckpoint({ config: snap.config, weights: snap.weights, optimizer: snap.optimizer, vocab: corpus.vocab.idxToToken, step: snap.calls, extra: { preprocess: p.preprocess } }));
      console.log(`saved ${p.save} (safetensors: rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0, fc.weight, fc.bias, optimizer state)`);
    }
  } finally {
    bar?.stop();
    lm.destroy();
  }
}
