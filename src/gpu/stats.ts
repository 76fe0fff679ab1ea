// The step statistics block: one small storage buffer that the loss and norm
// reductions write, the fused clip + update reads and completes, the carried
// state checks, and the trainer reads back. Its layout is defined here and
// only here; the WGSL `struct Stats` of clip_update.wgsl mirrors it field by
// field (test/stats.test.ts checks), and every other user takes the slots
// from STATS.

/** The named four-byte slots of the block, in order (f32 unless noted); the block is 12 slots (byteSize), the last 3 free. */
const SLOTS = ['loss', 'gradSumsq', 'gradNorm', 'clipScale', 'skipped', 'step', 'skippedTotal', 'clippedTotal', 'lr'] as const;
/** One slot's name. */
export type StatsSlot = (typeof SLOTS)[number];

/**
 * Slot indices (4-byte words) and the byte size of the block:
 * loss, gradSumsq (f32, written by reduce_sum.wgsl), gradNorm, clipScale
 * (f32), skipped, step, skippedTotal, clippedTotal (u32: the skip flag read
 * by carry_state.wgsl, the updates applied — Adam's t and the schedule's
 * step —, counters), lr (f32, the latest update's rate); slots 9–11 free.
 */
export const STATS = {
  byteSize: 48,
  loss: 0,
  gradSumsq: 1,
  gradNorm: 2,
  clipScale: 3,
  skipped: 4,
  step: 5,
  skippedTotal: 6,
  clippedTotal: 7,
  lr: 8,
  /** The slot names in order (what the WGSL struct must declare). */
  slots: SLOTS,
  /** Decode a read-back copy. */
  decode(buf: ArrayBuffer) {
    const f = new Float32Array(buf, 0, SLOTS.length);
    const u = new Uint32Array(buf, 0, SLOTS.length);
    return {
      loss: f[STATS.loss],
      gradNorm: f[STATS.gradNorm],
      clipScale: f[STATS.clipScale],
      skipped: u[STATS.skipped] !== 0,
      step: u[STATS.step],
      skippedTotal: u[STATS.skippedTotal],
      clippedTotal: u[STATS.clippedTotal],
      /** The rate this step applied (a skipped step: the rate it would have applied). */
      lr: f[STATS.lr],
    };
  },
} as const;

/** A step's loss, gradient norm, clip scale, skip flag, counters and learning rate, as read back. */
export type StepStats = ReturnType<typeof STATS.decode>;
