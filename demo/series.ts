// A chart series of fixed capacity: however long the run, it keeps at most
// `capacity` buckets of consecutive steps. Each bucket keeps its first, last,
// smallest and largest point (M4 aggregation), so a line drawn through the
// kept points has the same envelope, per pixel column, as one drawn through
// every point. When the buckets run out, neighbours merge in pairs and each
// bucket spans twice as many steps.

/** One point of a chart: a training step and its value. */
export interface Point {
  step: number;
  value: number;
}

/** A bucket: its span of steps from `start` (aligned to the bucket width), the last step `end` in it, and its four kept points. */
export interface Bucket {
  start: number;
  end: number;
  count: number;
  first: Point;
  last: Point;
  min: Point;
  max: Point;
}

function merge(a: Bucket, b: Bucket): Bucket {
  return {
    start: a.start,
    end: b.end,
    count: a.count + b.count,
    first: a.first,
    last: b.last,
    min: b.min.value < a.min.value ? b.min : a.min,
    max: b.max.value > a.max.value ? b.max : a.max,
  };
}

/** A bounded, decimating series of finite values at increasing steps. */
export class DecimatedSeries {
  private buckets: Bucket[] = [];
  /** Steps per bucket (a power of two times the first step spacing). */
  private width = 1;
  private cached: Point[] | null = null;
  /** Values pushed (finite ones). */
  count = 0;
  /** Values refused because they were NaN or ±∞. */
  nonFinite = 0;

  /** `capacity` ≥ 2 buckets: the memory bound (4 points each at most). */
  constructor(readonly capacity = 512) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`capacity must be a whole number ≥ 2 (got ${capacity})`);
  }

  /** Add a value at `step` (steps must not decrease). Non-finite values are counted, not kept. */
  push(step: number, value: number): void {
    if (!Number.isFinite(value)) {
      this.nonFinite++;
      return;
    }
    this.count++;
    this.cached = null;
    const p = { step, value };
    const lastBucket = this.buckets[this.buckets.length - 1];
    if (lastBucket && step < lastBucket.start + this.width) {
      lastBucket.end = step;
      lastBucket.count++;
      lastBucket.last = p;
      if (value < lastBucket.min.value) lastBucket.min = p;
      if (value > lastBucket.max.value) lastBucket.max = p;
      return;
    }
    const start = lastBucket ? lastBucket.start + this.width * Math.floor((step - lastBucket.start) / this.width) : step;
    this.buckets.push({ start, end: step, count: 1, first: p, last: p, min: p, max: p });
    while (this.buckets.length > this.capacity) this.halve();
  }

  /** Merge neighbouring buckets in pairs (aligned to the first bucket's start). */
  private halve(): void {
    const origin = this.buckets[0].start;
    this.width *= 2;
    const out: Bucket[] = [];
    for (const b of this.buckets) {
      const prev = out[out.length - 1];
      if (prev && Math.floor((b.start - origin) / this.width) === Math.floor((prev.start - origin) / this.width)) out[out.length - 1] = merge(prev, b);
      else out.push({ ...b, start: origin + this.width * Math.floor((b.start - origin) / this.width) });
    }
    this.buckets = out;
  }

  /** The kept points in step order (each bucket's first, min, max, last; no repeats). */
  points(): readonly Point[] {
    if (this.cached) return this.cached;
    const out: Point[] = [];
    for (const b of this.buckets) {
      const four = [b.first, b.min, b.max, b.last].sort((x, y) => x.step - y.step);
      for (const p of four) if (out[out.length - 1] !== p) out.push(p);
    }
    this.cached = out;
    return out;
  }

  /** The buckets (for tests and tooltips); do not modify them. */
  view(): readonly Bucket[] {
    return this.buckets;
  }

  /** The first point pushed, or null. */
  get first(): Point | null {
    return this.buckets.length ? this.buckets[0].first : null;
  }

  /** The latest point pushed, or null. */
  get last(): Point | null {
    return this.buckets.length ? this.buckets[this.buckets.length - 1].last : null;
  }

  /** The smallest value pushed (NaN when empty). */
  get min(): number {
    let m = Infinity;
    for (const b of this.buckets) if (b.min.value < m) m = b.min.value;
    return this.buckets.length ? m : NaN;
  }

  /** The largest value pushed (NaN when empty). */
  get max(): number {
    let m = -Infinity;
    for (const b of this.buckets) if (b.max.value > m) m = b.max.value;
    return this.buckets.length ? m : NaN;
  }

  /** Forget everything. */
  clear(): void {
    this.buckets = [];
    this.width = 1;
    this.cached = null;
    this.count = 0;
    this.nonFinite = 0;
  }
}

/** The smallest and largest of `f(p.value)` over finite results, in a loop (no spread: any length). */
export function extent(points: Iterable<Point>, f: (v: number) => number = (v) => v): { lo: number; hi: number; x0: number; x1: number } | null {
  let lo = Infinity, hi = -Infinity, x0 = Infinity, x1 = -Infinity;
  for (const p of points) {
    const v = f(p.value);
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (p.step < x0) x0 = p.step;
    if (p.step > x1) x1 = p.step;
  }
  return lo <= hi ? { lo, hi, x0, x1 } : null;
}
