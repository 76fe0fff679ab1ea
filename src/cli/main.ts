// The Node command line: `webgpu-bptt <command>`.
import { readFileSync } from 'node:fs';
import { BpttError } from '../errors';
import { createNodeDevice, type DriverChoice } from '../node/device';
import { describeAdapter } from '../gpu/device';
import { parseArgs, checkFlags, str, type Args } from './args';
import { parseCase, runGradcheck } from './gradcheck';
import { train, prepareTrain, TRAIN_HELP, TRAIN_FLAGS } from './train';
import { sample, SAMPLE_HELP, SAMPLE_FLAGS } from './sample';
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
  bench       our training step against TensorFlow.js, side by side (from a clone of the repository)
  help        this text; 'webgpu-bptt <command> --help' for a command

Every command takes --driver auto|swiftshader|system (default auto: a GPU
driver when the machine has a GPU, else SwiftShader from Debian's chromium).`;

const GRADCHECK_HELP = `Usage: webgpu-bptt gradcheck CASE.json [--reference] [--driver auto|swiftshader|system]

Runs one forward + backward on the WebGPU device and prints
{"loss", "grads": {"W_hx", "W_hh", "W_qh", ["b_h", "b_q"]}, "h_last"} as JSON.
--reference computes the same in float64 on the CPU.
A malformed case: a one-line error naming the field, exit code 2.`;

async function device(args: Args): Promise<GPUDevice> {
  const driver = str(args, 'driver', 'auto');
  if (!['auto', 'swiftshader', 'system'].includes(driver)) throw new BpttError('--driver', driver, 'must be auto, swiftshader or system');
  const dev = await createNodeDevice({ driver: driver as DriverChoice });
  if (process.env.WEBGPU_BPTT_VERBOSE) console.error(`device: ${describeAdapter(dev)}`);
  return dev;
}

async function gradcheck(args: Args): Promise<number> {
  if (args.flags.has('help')) return void console.log(GRADCHECK_HELP), 0;
  checkFlags(args, ['reference', 'driver', 'help']);
  const file = args.positional[0];
  if (!file) throw new BpttError('CASE.json', 'missing', 'usage: webgpu-bptt gradcheck CASE.json [--reference]');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new BpttError('CASE.json', file, 'cannot be read');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BpttError('CASE.json', file, `is not valid JSON (${(e as Error).message})`);
  }
  const k = parseCase(json);
  const dev = args.flags.has('reference') ? null : await device(args);
  try {
    const result = await runGradcheck(k, dev);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    dev?.destroy();
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'gradcheck':
        return await gradcheck(parseArgs(rest, ['reference', 'help']));
      case 'train': {
        const args = parseArgs(rest, ['help', 'quiet']);
        if (args.flags.has('help')) return void console.log(TRAIN_HELP), 0;
        checkFlags(args, TRAIN_FLAGS);
        const prepared = await prepareTrain(args);
        const dev = await device(args);
        try {
          await train(dev, prepared);
        } finally {
          dev.destroy();
        }
        return 0;
      }
      case 'sample': {
        const args = parseArgs(rest, ['help']);
        if (args.flags.has('help')) return void console.log(SAMPLE_HELP), 0;
        checkFlags(args, SAMPLE_FLAGS);
        console.log(sample(args));
        return 0;
      }
      case 'bench': {
        // The harness needs the development packages (TF.js, Playwright): it runs from a clone.
        const root = join(dirname(fileURLToPath(import.meta.url)), '..');
        const runner = join(root, 'bench', 'run.ts');
        if (!existsSync(runner) || !existsSync(join(root, 'node_modules', 'tsx'))) {
          throw new BpttError('bench', 'unavailable', "the benchmark harness runs from a clone of the repository: 'npm ci && npm run bench' there");
        }
        const r = spawnSync(process.execPath, ['--import', join(root, 'scripts', 'register.mjs'), runner, ...rest], { stdio: 'inherit', cwd: root });
        return r.status ?? 1;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new BpttError('command', command, "is not a command (try 'webgpu-bptt help')");
    }
  } catch (e) {
    if (e instanceof BpttError) {
      console.error(`webgpu-bptt: ${e.message}`);
      return 2;
    }
    console.error(e);
    return 1;
  }
}

