// The trainer's ring of read-back buffers: each step in flight copies its
// statistics (and, when asked, its diagnostics) into one slot, and a slot is
// reused only after its readback has settled, so at most `size` steps are in
// flight at once (back-pressure instead of unbounded queueing).
import { BufferArena, COPY_DST, MAP_READ } from '../gpu/buffers';

/** One slot: the staging buffers of one step in flight. */
export interface StagingSlot {
  /** The statistics block's copy (MAP_READ). */
  readonly stats: GPUBuffer;
  /** The diagnostics' copy (MAP_READ). */
  readonly diag: GPUBuffer;
  /** This slot's readbacks while they are in flight, else null. */
  pending: Promise<unknown> | null;
}

/** A fixed ring of staging slots; its buffers belong to the arena given. */
export class StagingRing {
  private readonly slots: StagingSlot[] = [];

  constructor(arena: BufferArena, size: number, statsBytes: number, diagBytes: number) {
    for (let i = 0; i < size; i++) {
      this.slots.push({
        stats: arena.create(`stats.staging${i}`, statsBytes, MAP_READ | COPY_DST),
        diag: arena.create(`diag.staging${i}`, diagBytes, MAP_READ | COPY_DST),
        pending: null,
      });
    }
  }

  /** The slot of call number `index` (0-based), once its previous readbacks have settled (rejects if they failed). */
  async acquire(index: number): Promise<StagingSlot> {
    const slot = this.slots[index % this.slots.length];
    if (slot.pending) await slot.pending;
    return slot;
  }

  /** Mark `slot` busy until `readbacks` settle. */
  track(slot: StagingSlot, readbacks: Promise<unknown>): void {
    slot.pending = readbacks;
    const clear = () => {
      if (slot.pending === readbacks) slot.pending = null;
    };
    readbacks.then(clear, clear);
  }

  /** The readbacks still in flight. */
  inFlight(): Promise<unknown>[] {
    return this.slots.map((s) => s.pending).filter((p): p is Promise<unknown> => p !== null);
  }
}
