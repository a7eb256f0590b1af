/**
 * What a media worker process has used: its CPU time (user and system), asked of mediasoup
 * (`worker.getResourceUsage()`, getrusage in the worker). Shared by the metrics (a counter of CPU
 * seconds) and the admin console (a percentage since the last reading).
 */
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';

/** The mediasoup library this server runs. */
export const MEDIASOUP_VERSION: string = mediasoup.version;

/** A worker that does not say its CPU time within this is left out of that reading. */
export const USAGE_TIMEOUT_MS = 1000;

/** CPU seconds the worker process has used since it started; undefined if it does not answer in time (or has died). */
export async function workerCpuSeconds(worker: Pick<types.Worker, 'getResourceUsage'>, timeoutMs = USAGE_TIMEOUT_MS): Promise<number | undefined> {
  const usage = await withTimeout(worker.getResourceUsage(), timeoutMs).catch(() => undefined);
  return usage && (usage.ru_utime + usage.ru_stime) / 1000;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
