// A small argument parser: `cmd positional --key value --flag`.
import { BpttError, show } from '../errors';

export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], booleans: readonly string[] = []): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2);
      if (inline !== undefined) flags.set(k, inline);
      else if (booleans.includes(k) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) flags.set(k, true);
      else flags.set(k, argv[++i]);
    } else positional.push(a);
  }
  return { positional, flags };
}

export function checkFlags(args: Args, allowed: readonly string[]): void {
  for (const k of args.flags.keys()) {
    if (!allowed.includes(k)) throw new BpttError(`--${k}`, 'given', `is not an option here (options: ${allowed.map((a) => '--' + a).join(' ')})`);
  }
}

export function num(args: Args, key: string, dflt: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const v = args.flags.get(key);
  if (v === undefined) return dflt;
  const n = Number(v);
  const bad = v === true || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max);
  if (bad) {
    const range = `${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ''}`;
    throw new BpttError(`--${key}`, show(v === true ? '(no value)' : v), `must be ${range}`);
  }
  return n;
}

export function str(args: Args, key: string, dflt: string): string {
  const v = args.flags.get(key);
  if (v === true) throw new BpttError(`--${key}`, '(no value)', 'needs a value');
  return v ?? dflt;
}
