// Learning-rate schedules: the rate of each optimizer update as a function of
// its 0-based index s (the updates applied before it; a step skipped as
// non-finite applies nothing and does not advance the schedule, like Adam's t).
//
//   warm-up (all kinds, w = warmup ≥ 0):  s < w  →  lr · s / w   (linear from 0)
//   then, with u = s − w:
//     constant                 lr
//     step(every, gamma)       lr · gamma^⌊u / every⌋                      (PyTorch's StepLR)
//     cosine(total, min)       min + (lr − min) · ½(1 + cos(π · min(u, total − w) / (total − w)))
//                              (PyTorch's CosineAnnealingLR with eta_min = min; `total` counts
//                              the warm-up steps too; after it the rate stays at min)
//
// The trainer computes the same rate on the GPU from the step counter in its
// statistics block (clip_update.wgsl), so every step in flight gets its own
// rate; lrAt is the float64 definition that tests and the demo's chart use.
import { BpttError, requireFinite, requireInt, show } from '../errors';

/** A learning-rate schedule (see lrAt for the formulas). */
export type LrScheduleSpec =
  | { kind: 'constant'; warmup?: number }
  | { kind: 'step'; every: number; gamma: number; warmup?: number }
  | { kind: 'cosine'; total: number; min?: number; warmup?: number };

const MAX_STEPS = 0xffffffff;

/**
 * Check a schedule (every error names its field, e.g. `lrSchedule.gamma`) and
 * return a clean copy with defaults filled in (warmup 0, cosine min 0).
 */
export function lrScheduleFrom(spec: LrScheduleSpec, field = 'lrSchedule'): LrScheduleSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new BpttError(field, show(spec), 'must be an object {kind: "constant" | "step" | "cosine", ...}');
  const o = spec as Record<string, unknown>;
  const known: Record<string, string[]> = { constant: ['kind', 'warmup'], step: ['kind', 'every', 'gamma', 'warmup'], cosine: ['kind', 'total', 'min', 'warmup'] };
  const fields = known[o.kind as string];
  if (typeof o.kind !== 'string' || !fields) throw new BpttError(`${field}.kind`, show(o.kind), 'must be one of "constant", "step", "cosine"');
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) throw new BpttError(`${field}.${k}`, 'present', `is not a field of a "${o.kind}" schedule (${fields.join(', ')})`);
  }
  const warmup = requireInt(`${field}.warmup`, o.warmup ?? 0, 0, MAX_STEPS);
  if (o.kind === 'constant') return { kind: 'constant', warmup };
  if (o.kind === 'step') {
    const every = requireInt(`${field}.every`, o.every, 1, MAX_STEPS);
    const gamma = requireFinite(`${field}.gamma`, o.gamma, 'must be a number in (0, 1]');
    if (!(gamma > 0 && gamma <= 1)) throw new BpttError(`${field}.gamma`, String(gamma), 'must be a number in (0, 1]');
    return { kind: 'step', every, gamma, warmup };
  }
  const total = requireInt(`${field}.total`, o.total, 1, MAX_STEPS);
  if (total <= warmup) throw new BpttError(`${field}.total`, String(total), `must be greater than warmup = ${warmup} (total counts the warm-up steps)`);
  const min = requireFinite(`${field}.min`, o.min ?? 0, 'must be a finite number ≥ 0');
  if (min < 0) throw new BpttError(`${field}.min`, String(min), 'must be ≥ 0');
  return { kind: 'cosine', total, min, warmup };
}

/**
 * Parse the command line's and the demo's text form:
 * `constant`, `step:EVERY:GAMMA` or `cosine[:MIN]`, plus `warmup` steps.
 * A cosine schedule needs `total`, the number of updates of the whole run
 * (the CLI passes epochs × steps per epoch). Errors name `field`.
 */
export function lrScheduleFromText(text: string, opts: { warmup?: number; total?: number } = {}, field = '--lr-schedule'): LrScheduleSpec {
  const usage = 'must be constant, step:EVERY:GAMMA (e.g. step:100:0.5) or cosine[:MIN] (e.g. cosine:0.001)';
  if (typeof text !== 'string') throw new BpttError(field, show(text), usage);
  const [kind, ...rest] = text.split(':');
  const number = (s: string | undefined, name: string): number => {
    const n = s === undefined || s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(n)) throw new BpttError(field, JSON.stringify(text), `${name} is not a number: ${usage}`);
    return n;
  };
  const warmup = opts.warmup ?? 0;
  if (kind === 'constant' && rest.length === 0) return lrScheduleFrom({ kind: 'constant', warmup }, field);
  if (kind === 'step' && rest.length === 2) return lrScheduleFrom({ kind: 'step', every: number(rest[0], 'EVERY'), gamma: number(rest[1], 'GAMMA'), warmup }, field);
  if (kind === 'cosine' && rest.length <= 1) {
    if (opts.total === undefined) throw new BpttError(field, JSON.stringify(text), 'a cosine schedule needs the total number of steps');
    return lrScheduleFrom({ kind: 'cosine', total: opts.total, min: rest.length ? number(rest[0], 'MIN') : 0, warmup }, field);
  }
  throw new BpttError(field, JSON.stringify(text), usage);
}

/**
 * The learning rate of update `step` (0-based: the updates applied before it)
 * under `spec` with base rate `baseLr`, in float64.
 */
export function lrAt(spec: LrScheduleSpec, baseLr: number, step: number): number {
  const w = spec.warmup ?? 0;
  if (step < w) return (baseLr * step) / w;
  const u = step - w;
  switch (spec.kind) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * Math.pow(spec.gamma, Math.floor(u / spec.every));
    case 'cosine': {
      const min = spec.min ?? 0, span = spec.total - w;
      return min + (baseLr - min) * 0.5 * (1 + Math.cos((Math.PI * Math.min(u, span)) / span));
    }
  }
}

/** Short text of a schedule for logs, e.g. `cosine(total 300, min 0.001), warm-up 10`. */
export function describeLrSchedule(spec: LrScheduleSpec): string {
  const w = spec.warmup ? `, warm-up ${spec.warmup}` : '';
  if (spec.kind === 'constant') return `constant${w}`;
  if (spec.kind === 'step') return `step(every ${spec.every}, gamma ${spec.gamma})${w}`;
  return `cosine(total ${spec.total}, min ${spec.min ?? 0})${w}`;
}
