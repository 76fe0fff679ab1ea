// The Node command line: `webgpu-bptt <command>`. Each command parses its
// arguments against its own option table (args.ts), which also makes its --help.
import { BpttError } from '../errors';
import { createNodeDevice, type DriverChoice } from '../node/device';
import { describeAdapter } from '../gpu/device';
import { parseCommand, helpText, choice, type Args, type CommandSpec } from './args';
import { parseCase, runGradcheck } from './gradcheck';
import { train, prepareTrain, TRAIN } from './train';
import { sample, prepareSample, SAMPLE } from './sample';
import { EXPORT, prepareExport, runExport } from './export';
import { DRIVER_OPTION } from './driver-option';
import { readRegularFile } from './files';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const HELP = `webgpu-bptt — train RNNs with backpropagation through time on WebGPU

Usage: webgpu-bptt <command> [options]

Commands:
  train       train a character RNN (built-in corpus by default), print perplexity and a sample
  sample      generate text from a checkpoint saved by 'train --save'
  gradcheck   one forward + backward from a CASE.json, printed as JSON
  export      write a checkpoint's model as ONNX (opset 17) for ONNX Runtime
  bench       our training step against TensorFlow.js, side by side (from a clone of the repository)
  help        this text; 'webgpu-bptt <command> --help' for a command

train, gradcheck and bench run on WebGPU in Node through Dawn ('npm install webgpu').`;

/** `webgpu-bptt gradcheck`: its options. */
export const GRADCHECK: CommandSpec = {
  name: 'gradcheck',
  positionals: [{ name: 'CASE.json', required: true }],
  description: `Runs one forward + backward on the WebGPU device and prints
{"loss", "grads": {"W_hx", "W_hh", "W_qh", ["b_h", "b_q"]}, "h_last"} as JSON
(the format is documented in src/cli/gradcheck.ts).
A malformed case: a one-line error naming the field, exit code 2.`,
  options: {
    reference: { type: 'boolean', help: 'compute the same in float64 on the CPU instead' },
    driver: DRIVER_OPTION,
  },
};

/** `webgpu-bptt bench`: the harness's options, checked here and passed on to bench/run.ts. */
export const BENCH: CommandSpec = {
  name: 'bench',
  description: 'Runs from a clone of the repository (it needs the development packages: TF.js, Playwright).',
  options: {
    env: { type: 'string', value: 'browser|node', help: 'headless Chromium or Node with Dawn (default browser when /usr/bin/chromium exists)' },
    workloads: { type: 'string', value: 'S,M,L,tiny', default: 'S,M', help: 'S (V=28,H=256,B=32,T=35), M (H=512), L (V=96,H=1024,B=64,T=128), tiny' },
    strategies: { type: 'string', value: 'full,regular,randomized', default: 'full,regular,randomized', help: 'truncation strategies to time' },
    steps: { type: 'string', value: 'N', default: '5', help: 'timed steps per measurement' },
    warmup: { type: 'string', value: 'N', default: '2', help: 'untimed steps first' },
    peers: { type: 'string', value: 'webgpu,wasm|none', default: 'webgpu,wasm', help: 'TensorFlow.js backends to compare with' },
    'max-peer-seconds': { type: 'string', value: 'S', default: '60', help: 'time limit of each TF.js measurement' },
    'no-write': { type: 'boolean', help: 'do not write bench/results or BENCHMARKS.md' },
    driver: DRIVER_OPTION,
  },
};

/** The largest CASE.json gradcheck reads. */
const MAX_CASE_BYTES = 256 * 1024 * 1024;

/** Options of main() for a caller that runs commands in its own process. */
export interface MainOptions {
  /** A device the caller owns: commands use it instead of creating one (--driver is then not read), and leave it alive. */
  device?: GPUDevice;
}

/** A command's device and how to let go of it: destroyed if the command created it, kept if the caller gave it. */
async function device(args: Args, o: MainOptions): Promise<{ dev: GPUDevice; release(): void }> {
  if (o.device) return { dev: o.device, release: () => {} };
  const driver = choice(args, 'driver', ['auto', 'swiftshader', 'system'], 'auto');
  const dev = await createNodeDevice({ driver: driver as DriverChoice });
  if (process.env.WEBGPU_BPTT_VERBOSE) console.error(`device: ${describeAdapter(dev)}`);
  return { dev, release: () => dev.destroy() };
}

async function gradcheck(args: Args, o: MainOptions): Promise<number> {
  const file = args.positional[0];
  const text = new TextDecoder().decode(readRegularFile('CASE.json', file, MAX_CASE_BYTES, 'a JSON case'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BpttError('CASE.json', file, `is not valid JSON (${(e as Error).message})`);
  }
  const k = parseCase(json);
  const d = args.flags.has('reference') ? null : await device(args, o);
  try {
    const result = await runGradcheck(k, d?.dev ?? null);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    d?.release();
  }
  return 0;
}

const COMMANDS: Record<string, CommandSpec> = { train: TRAIN, sample: SAMPLE, gradcheck: GRADCHECK, export: EXPORT, bench: BENCH };

async function run(command: string, args: Args, rest: string[], o: MainOptions): Promise<number> {
  switch (command) {
    case 'gradcheck':
      return gradcheck(args, o);
    case 'train': {
      const prepared = await prepareTrain(args);
      const { dev, release } = await device(args, o);
      try {
        await train(dev, prepared);
      } finally {
        release();
      }
      return 0;
    }
    case 'export':
      console.log(await runExport(prepareExport(args)));
      return 0;
    case 'sample': {
      const prepared = prepareSample(args);
      const { dev, release } = await device(args, o);
      try {
        console.log(await sample(dev, prepared));
      } finally {
        release();
      }
      return 0;
    }
    default: {
      // The harness needs the development packages (TF.js, Playwright): it runs from a clone.
      const root = join(dirname(fileURLToPath(import.meta.url)), '..');
      const runner = join(root, 'bench', 'run.ts');
      if (!existsSync(runner) || !existsSync(join(root, 'node_modules', 'tsx'))) {
        throw new BpttError('bench', 'unavailable', "the benchmark harness runs from a clone of the repository: 'npm ci && npm run bench' there");
      }
      const r = spawnSync(process.execPath, ['--import', join(root, 'scripts', 'register.mjs'), runner, ...rest], { stdio: 'inherit', cwd: root });
      return r.status ?? 1;
    }
  }
}

/** Run the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(HELP);
      return command === undefined ? 2 : 0;
    }
    const spec = COMMANDS[command];
    if (!spec) throw new BpttError('command', command, "is not a command (try 'webgpu-bptt help')");
    const args = parseCommand(spec, rest);
    if (args === 'help') {
      console.log(helpText(spec));
      return 0;
    }
    return await run(command, args, rest, options);
  } catch (e) {
    if (e instanceof BpttError) {
      console.error(`webgpu-bptt: ${e.message}`);
      return 2;
    }
    console.error(e);
    return 1;
  }
}
