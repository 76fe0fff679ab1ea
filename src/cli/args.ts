// Command-line parsing on Node's util.parseArgs: each command declares one
// option table, from which both the parsing and its --help text come (so the
// help cannot drift from what is accepted). Unknown flags, missing values and
// stray positionals are BpttErrors (exit code 2) naming the flag.
import { parseArgs as nodeParseArgs } from 'node:util';
import { BpttError, show } from '../errors';

/** One option of a command. */
export interface OptionSpec {
  /** 'string' takes a value (`--lr 0.1` or `--lr=0.1`); 'boolean' is a switch. */
  type: 'string' | 'boolean';
  /** A one-letter alias (`-h`). */
  short?: string;
  /** How the value is shown in the help, e.g. `H` or `sgd|adagrad|adam`. */
  value?: string;
  /** The default, as text (shown in the help and used when the flag is absent). */
  default?: string;
  /** What it does; further lines of the help are indented under the first. */
  help: string;
}

/** A command: its positionals, a description and its option table. */
export interface CommandSpec {
  /** `train`, `sample`, … */
  name: string;
  /** Positional arguments, in order, e.g. `CHECKPOINT.safetensors`. */
  positionals?: readonly { name: string; required: boolean }[];
  /** Paragraphs printed after the options. */
  description?: string;
  options: Readonly<Record<string, OptionSpec>>;
}

/** Parsed arguments: positionals and the flags given (a switch is `true`). */
export interface Args {
  positional: string[];
  flags: Map<string, string | true>;
  /** The table the flags were checked against (defaults come from it). */
  spec?: CommandSpec;
}

/** Every command's `-h` / `--help`. */
export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'print this help and exit' };

function withHelp(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...spec.options, help: HELP_OPTION };
}

/** The --help text of a command, generated from its table. */
export function helpText(spec: CommandSpec): string {
  const pos = (spec.positionals ?? []).map((p) => (p.required ? p.name : `[${p.name}]`));
  const lines = [`Usage: webgpu-bptt ${spec.name} ${[...pos, '[options]'].join(' ')}`, ''];
  const options = Object.entries(withHelp(spec));
  const left = options.map(([name, o]) => `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`);
  // a flag too long for the column gets its help on the next lines
  const width = Math.min(Math.max(...left.map((l) => l.length)), 30) + 2;
  options.forEach(([, o], i) => {
    const text = o.help.split('\n');
    if (o.default !== undefined) text[text.length - 1] += ` (default ${/\s/.test(o.default) ? JSON.stringify(o.default) : o.default})`;
    if (left[i].length + 2 > width) lines.push(`  ${left[i]}`);
    else lines.push(`  ${left[i].padEnd(width)}${text.shift()}`);
    for (const more of text) lines.push(`  ${' '.repeat(width)}${more}`);
  });
  if (spec.description) lines.push('', spec.description);
  return lines.join('\n');
}

/**
 * Parse `argv` against a command's table: returns 'help' when -h/--help is
 * given, else the checked arguments. Unknown flags, a string flag without a
 * value, a value given to a switch and stray positionals throw BpttError.
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Args | 'help' {
  const table = withHelp(spec);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(table)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  const { tokens } = nodeParseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
  const where = `'webgpu-bptt ${spec.name}'`;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    else if (t.kind === 'option-terminator') continue;
    else {
      const o = table[t.name];
      if (!o) throw new BpttError(t.rawName, 'given', `is not an option here (${where}; 'webgpu-bptt ${spec.name} --help' lists them)`);
      if (o.type === 'boolean') {
        if (t.value !== undefined) throw new BpttError(t.rawName, show(t.value), 'is a switch and takes no value');
        flags.set(t.name, true);
      } else {
        if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) throw new BpttError(t.rawName, '(no value)', `needs a value${o.value ? ` (${o.value})` : ''}`);
        flags.set(t.name, t.value);
      }
    }
  }
  const allowed = spec.positionals ?? [];
  if (positional.length > allowed.length) {
    const extra = positional[allowed.length];
    throw new BpttError('argument', show(extra), allowed.length ? `is not expected: ${where} takes ${allowed.map((p) => p.name).join(' ')} and options` : `is not expected: ${where} takes options only`);
  }
  const missing = allowed.find((p, i) => p.required && positional[i] === undefined);
  if (missing) throw new BpttError(missing.name, 'missing', `usage: webgpu-bptt ${spec.name} ${allowed.map((p) => p.name).join(' ')} [options]`);
  return { positional, flags, spec };
}

function given(args: Args, key: string): string | true | undefined {
  return args.flags.get(key) ?? args.spec?.options[key]?.default;
}

/** A numeric flag (or its table default, else `dflt`), checked against the limits. */
export function num(args: Args, key: string, dflt: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const v = given(args, key);
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const bad = !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max);
  if (bad) {
    const range = `${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ''}`;
    throw new BpttError(`--${key}`, show(v === true ? '(no value)' : v), `must be ${range}`);
  }
  return n;
}

/** A text flag (or its table default, else `dflt`). */
export function str(args: Args, key: string, dflt: string): string {
  const v = given(args, key);
  if (v === true) throw new BpttError(`--${key}`, '(no value)', 'needs a value');
  return v ?? dflt;
}

/** A text flag that must be one of `choices`. */
export function choice<T extends string>(args: Args, key: string, choices: readonly T[], dflt: T): T {
  const v = str(args, key, dflt);
  if (!(choices as readonly string[]).includes(v)) throw new BpttError(`--${key}`, show(v), `must be ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`);
  return v as T;
}

/**
 * Table-less parsing for the repository's scripts (bench/, study/), which
 * declare their flags with checkFlags: `--key value`, `--key=value`, and
 * `--flag` (a switch when named in `booleans`, last, or followed by another
 * flag). The CLI's commands use parseCommand.
 */
export function parseArgs(argv: string[], booleans: readonly string[] = []): Args {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  argv.forEach((a, i) => {
    if (!a.startsWith('--') || a === '--') return;
    const name = a.slice(2).split('=', 1)[0];
    const isSwitch = !a.includes('=') && (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--'));
    options[name] = { type: isSwitch && options[name]?.type !== 'string' ? 'boolean' : 'string' };
  });
  const { tokens } = nodeParseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positional.push(t.value);
    else if (t.kind === 'option') flags.set(t.name, t.value ?? true);
  }
  return { positional, flags };
}

/** Refuse flags outside `allowed` (for parseArgs' table-less scripts). */
export function checkFlags(args: Args, allowed: readonly string[]): void {
  for (const k of args.flags.keys()) {
    if (!allowed.includes(k)) throw new BpttError(`--${k}`, 'given', `is not an option here (options: ${allowed.map((a) => '--' + a).join(' ')})`);
  }
}
