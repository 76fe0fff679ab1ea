// The median, shared by the matmul tuner (src/kernels/tune.ts) and the bench's
// summaries (bench/stats.ts).

/** The median (the mean of the middle two for an even count). */
export function median(a: readonly number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
