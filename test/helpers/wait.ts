/**
 * Polling until something holds, for tests and benches. The probe may be synchronous (a socket's
 * captured messages) or asynchronous (a question to a browser page). A probe that throws is
 * retried — a page may be navigating — and its last error is reported if time runs out.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  timeoutMs = 5000,
  options: { intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.message ?? probe.toString().slice(0, 120)}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
