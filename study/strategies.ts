// The strategies the study compares, as specs (truncationFrom builds them),
// at matched settings: regular(τ), randomized with π = 1 − 1/τ (segments of
// mean length τ), TBPTT(1, τ) (every loss sees τ states) and TBPTT(k1, k2),
// against full BPTT over the same window.
import { truncationFrom, type Truncation, type TruncationSpec } from '../src/engine/truncation';
import type { StudyOptions } from './options';

/** One strategy of the study: a short label, its spec and the strategy. */
export interface Strategy {
  label: string;
  spec: TruncationSpec;
  truncation: Truncation;
}

function make(label: string, spec: TruncationSpec): Strategy {
  return { label, spec, truncation: truncationFrom(spec) };
}

/** Full BPTT over the window. */
export const fullStrategy = (): Strategy => make('full', { kind: 'full' });

/** The strategies compared in training and in the delay task, full first. */
export function studyStrategies(o: StudyOptions): Strategy[] {
  const tbptts = [make(`TBPTT(1, ${o.tau})`, { kind: 'tbptt', k1: 1, k2: o.tau })];
  if (o.k1 !== 1 || o.k2 !== o.tau) tbptts.push(make(`TBPTT(${o.k1}, ${o.k2})`, { kind: 'tbptt', k1: o.k1, k2: o.k2 }));
  return [
    fullStrategy(),
    make(`regular(${o.tau})`, { kind: 'regular', tau: o.tau }),
    make(`randomized(${round(o.pi)})`, { kind: 'randomized', pi: o.pi }),
    ...tbptts,
  ];
}

/** Randomized truncation at π, with ξ shared by the batch or drawn per sequence. */
export function randomizedStrategy(pi: number, perSequence: boolean): Strategy {
  return make(`randomized(${round(pi)})${perSequence ? ' per sequence' : ''}`, { kind: 'randomized', pi, perSequence });
}

/** A number short enough for a label. */
export function round(x: number): string {
  return String(Number(x.toPrecision(3)));
}
