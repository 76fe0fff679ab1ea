/**
 * The one error type for bad input and unmet limits. It names the field, the
 * value that was given and the limit or rule it broke, and is thrown before
 * any GPU work starts.
 */
export class BpttError extends Error {
  constructor(
    /** The field at fault, e.g. `config.hidden` or `tokens[0][3]`. */
    readonly field: string,
    /** The value that was given, as text. */
    readonly value: string,
    /** The limit or rule, e.g. `must be an integer in [1, 2048]`. */
    readonly limit: string,
  ) {
    super(`${field} = ${value}: ${limit}`);
    this.name = 'BpttError';
  }
}

/** Short text of a value for error messages. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `array(${v.length})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length: number }).length})`;
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  return typeof v === 'object' ? 'object' : String(v);
}

export function requireInt(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BpttError(field, show(v), `must be an integer in [${min}, ${max}]`);
  }
  return v;
}

/** `v` as a positive integer (counts of rounds, runs, candidates), else a BpttError naming `field`. */
export function requirePositiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new BpttError(field, show(v), 'must be a positive integer');
  return v;
}

export function requireFinite(field: string, v: unknown, rule = 'must be a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BpttError(field, show(v), rule);
  return v;
}

export function requireOneOf<T extends string>(field: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    throw new BpttError(field, show(v), `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
  }
  return v as T;
}
