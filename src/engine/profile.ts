// Per-phase timing of a step, for the benchmarks (not part of the public
// API): PassScopes that open one compute pass per phase change with
// timestamp writes, or that record only one phase's dispatches.
import type { Phase, PassScope } from './bptt';

/** One timed pass: its phase and the indices of its two timestamps. */
export interface TimedSpan {
  phase: Phase;
  begin: number;
  end: number;
}

/**
 * A scope that opens a new pass, with beginning/end timestamps into
 * `querySet`, whenever the phase changes. `spans` lists them in order; it
 * throws once the query set is full.
 */
export function timedPhases(encoder: GPUCommandEncoder, querySet: GPUQuerySet): PassScope & { spans: TimedSpan[] } {
  const spans: TimedSpan[] = [];
  let open: { phase: Phase; pass: GPUComputePassEncoder } | null = null;
  const end = () => {
    open?.pass.end();
    open = null;
  };
  return {
    spans,
    end,
    pass(phase) {
      if (open?.phase === phase) return open.pass;
      end();
      const begin = spans.length * 2;
      if (begin + 2 > querySet.count) throw new Error(`timedPhases: more than ${querySet.count / 2} passes`);
      spans.push({ phase, begin, end: begin + 1 });
      const pass = encoder.beginComputePass({ label: `phase.${phase}`, timestampWrites: { querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: begin + 1 } });
      open = { phase, pass };
      return pass;
    },
  };
}

/** A pass that records nothing (the phases a wall-clock measurement leaves out). */
export const NO_PASS = {
  setPipeline() {},
  setBindGroup() {},
  dispatchWorkgroups() {},
} as unknown as GPUComputePassEncoder;

/** A scope that records only `phase`'s dispatches (every copy still runs). */
export function onlyPhase(encoder: GPUCommandEncoder, phase: Phase): PassScope {
  let open: GPUComputePassEncoder | null = null;
  return {
    pass: (p) => (p === phase ? (open ??= encoder.beginComputePass({ label: `only.${phase}` })) : NO_PASS),
    end() {
      open?.end();
      open = null;
    },
  };
}
