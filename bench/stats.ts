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
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `digits`: decimals kept (0 for milliseconds of whole operations, more for sub-millisecond ones). */
export function summary(figure: string, values: readonly number[], digits = 0): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (v: number) => (digits === 0 ? String(Math.round(v)) : v.toFixed(digits));
  return `${figure}: median=${f(median(s))} p95=${f(percentile(s, 95))} n=${s.length}`;
}
