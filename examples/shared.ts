// What the examples share beside the library: their size (EXAMPLE_SIZE=tiny
// for the test suite's smoke run), the seed of fit's shuffling (EXAMPLE_SEED), and, with `--dump file.json`, writing the
// data, settings and initial weights they trained with, for scripts/compare/examples.py to
// train PyTorch on the same.
import { writeFileSync } from 'node:fs';
import type { Model } from '../src/index';

/** The seed of fit's shuffling: EXAMPLE_SEED, default 0. */
export const seed = Number(process.env.EXAMPLE_SEED ?? 0);

/** The full size, or the tiny one when EXAMPLE_SIZE=tiny. */
export function size<T>(full: T, tiny: T): T {
  return process.env.EXAMPLE_SIZE === 'tiny' ? tiny : full;
}

/**
 * With `--dump file.json` on the command line, write `data` there as JSON,
 * with the model's initial weights (its file, base64) so that PyTorch can
 * start from the same ones.
 */
export async function dump(model: Model, data: Record<string, unknown>): Promise<void> {
  const i = process.argv.indexOf('--dump');
  if (i < 0) return;
  const initial = Buffer.from(await model.save()).toString('base64');
  writeFileSync(process.argv[i + 1], JSON.stringify({ ...data, initial }));
  console.log(`wrote ${process.argv[i + 1]}`);
}
