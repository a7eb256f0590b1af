/** Summaries for bench lines: `name: median=… p95=… n=…`. */

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = Math.floor(n / 2);
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]! ) / 2;
}

export function summary(figure: string, values: readonly number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `${figure}: median=${Math.round(median(s))} p95=${Math.round(percentile(s, 95))} n=${s.length}`;
}
