/** Minimum, median and maximum of a benchmark's measurements (the median of an even count is the upper middle). */
export function summary(values: readonly number[]): { min: number; median: number; max: number } {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)! };
}
