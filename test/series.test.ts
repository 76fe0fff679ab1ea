// The demo's chart series stay bounded on long runs and keep the envelope:
// 500k points in, at most 4 × capacity points kept, and the first, last,
// smallest and largest value, overall and per bucket, are the ones a plain
// loop over every input finds.
import { describe, it, expect } from 'vitest';
import { DecimatedSeries, extent } from '../demo/series';
import { createRng } from '../src/util/rng';

const N = 500_000;

/** A loss-like curve: decay, noise and a few spikes (and some NaN/∞, which are refused). */
function signal(n: number): Float64Array {
  const rng = createRng(7);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 3 * Math.exp(-i / 50_000) + 0.1 * (rng.next() - 0.5) + (i % 97_331 === 5 ? 40 : 0) - (i === 312_345 ? 9 : 0);
  v[1000] = NaN;
  v[2000] = Infinity;
  return v;
}

describe('DecimatedSeries', () => {
  it('keeps 500k points bounded and their envelope exact', () => {
    const cap = 256;
    const v = signal(N);
    const s = new DecimatedSeries(cap);
    let maxKept = 0;
    for (let i = 0; i < N; i++) {
      s.push(i + 1, v[i]);
      if ((i & 4095) === 0) maxKept = Math.max(maxKept, s.view().length);
    }
    // the independent answer: one loop over every finite input
    let lo = Infinity, hi = -Infinity, loAt = -1, hiAt = -1, finite = 0;
    for (let i = 0; i < N; i++) {
      if (!Number.isFinite(v[i])) continue;
      finite++;
      if (v[i] < lo) { lo = v[i]; loAt = i + 1; }
      if (v[i] > hi) { hi = v[i]; hiAt = i + 1; }
    }
    expect(s.count).toBe(finite);
    expect(s.nonFinite).toBe(2);
    expect(s.min).toBe(lo);
    expect(s.max).toBe(hi);
    expect(lo).toBeCloseTo(3 * Math.exp(-312_344 / 50_000) - 9, 0); // the dip is in the data
    expect(s.first).toEqual({ step: 1, value: v[0] });
    expect(s.last).toEqual({ step: N, value: v[N - 1] });
    // bounded: never more than `capacity` buckets, 4 points each
    expect(maxKept).toBeLessThanOrEqual(cap);
    expect(s.view().length).toBeLessThanOrEqual(cap);
    expect(s.view().length).toBeGreaterThan(cap / 2); // and not needlessly coarse
    const pts = s.points();
    expect(pts.length).toBeLessThanOrEqual(4 * cap);
    // every kept point is a real input point, in step order, and the extremes are among them
    for (let i = 0; i < pts.length; i++) {
      expect(pts[i].value).toBe(v[pts[i].step - 1]);
      if (i) expect(pts[i].step).toBeGreaterThan(pts[i - 1].step);
    }
    expect(pts.some((p) => p.step === loAt && p.value === lo)).toBe(true);
    expect(pts.some((p) => p.step === hiAt && p.value === hi)).toBe(true);
    expect(pts[0].step).toBe(1);
    expect(pts[pts.length - 1].step).toBe(N);
    // per bucket (one pixel column): its min, max, first, last are those of its inputs
    const buckets = s.view();
    let covered = 0;
    for (const b of buckets) {
      let bl = Infinity, bh = -Infinity, first = NaN, last = NaN, n = 0;
      for (let step = b.start; step <= b.end; step++) {
        const x = v[step - 1];
        if (step < 1 || !Number.isFinite(x)) continue;
        if (!n) first = x;
        last = x;
        n++;
        bl = Math.min(bl, x);
        bh = Math.max(bh, x);
      }
      expect([b.min.value, b.max.value, b.first.value, b.last.value, b.count]).toEqual([bl, bh, first, last, n]);
      covered += n;
    }
    expect(covered).toBe(finite);
    // extent() finds the same range over the kept points with no spread (no RangeError)
    expect(extent(pts)).toEqual({ lo, hi, x0: 1, x1: N });
    expect(() => extent(Array.from({ length: N }, (_, i) => ({ step: i, value: v[i] })))).not.toThrow();
  });

  it('handles sparse steps (every third step) and refuses a bad capacity', () => {
    const s = new DecimatedSeries(8);
    let most = 0;
    for (let i = 0; i < 1000; i++) {
      s.push(3 * i, Math.sin(i));
      most = Math.max(most, s.view().length);
    }
    expect(most).toBeLessThanOrEqual(8);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < 1000; i++) { lo = Math.min(lo, Math.sin(i)); hi = Math.max(hi, Math.sin(i)); }
    expect([s.min, s.max]).toEqual([lo, hi]);
    expect(s.last).toEqual({ step: 2997, value: Math.sin(999) });
    expect(() => new DecimatedSeries(1)).toThrow(/capacity must be a whole number ≥ 2 \(got 1\)/);
    s.clear();
    expect([s.count, s.view().length, s.first, Number.isNaN(s.min)]).toEqual([0, 0, null, true]);
  });
});
