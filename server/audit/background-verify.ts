/**
 * The audit chain's verification for the admin console: `recinto audit verify`'s walk run in a
 * worker thread (verify-worker.ts, its own read-only connection), so checking 10⁶ records never
 * blocks the server. One at a time; the last result is kept (in memory: a restart forgets it).
 */
import { Worker } from 'node:worker_threads';
import type { AuditVerification } from '../../protocol/admin.ts';
import type { VerifyJob, VerifyOutcome } from './verify-worker.ts';

export class BackgroundVerifier {
  readonly #job: VerifyJob;
  #state: AuditVerification = { state: 'never', startedAt: null, finishedAt: null, records: 0, checkpoints: 0, problem: null };
  #worker: Worker | undefined;
  #done: Promise<void> | undefined;

  constructor(job: VerifyJob) {
    this.#job = job;
  }

  /** The last verification, or the one running. */
  status(): AuditVerification {
    return { ...this.#state };
  }

  /** Starts a verification unless one is running; returns its state (`running`). */
  start(now = Date.now()): AuditVerification {
    if (this.#worker) return this.status();
    this.#state = { state: 'running', startedAt: now, finishedAt: null, records: 0, checkpoints: 0, problem: null };
    const worker = new Worker(new URL('./verify-worker.ts', import.meta.url), { workerData: this.#job });
    this.#worker = worker;
    this.#done = new Promise<void>((resolve) => {
      const finish = (outcome: VerifyOutcome) => {
        resolve();
        if (this.#worker !== worker) return;
        this.#worker = undefined;
        const finishedAt = Date.now();
        const startedAt = this.#state.startedAt;
        if ('error' in outcome)
          this.#state = { state: 'failed', startedAt, finishedAt, records: 0, checkpoints: 0, problem: `cannot verify: ${outcome.error}` };
        else if (outcome.result.ok) {
          const { records, checkpoints } = outcome.result;
          this.#state = { state: 'ok', startedAt, finishedAt, records, checkpoints, problem: null };
        } else {
          const { seq, problem } = outcome.result;
          this.#state = { state: 'failed', startedAt, finishedAt, records: 0, checkpoints: 0, problem: `broken at seq ${seq}: ${problem}`.slice(0, 1024) };
        }
      };
      worker.once('message', finish);
      worker.once('error', (error) => finish({ error: error.message }));
      worker.once('exit', (code) => finish({ error: `the verification stopped (exit code ${code})` }));
    });
    return this.status();
  }

  /** Resolves when the running verification (if any) has finished. */
  async settled(): Promise<void> {
    await this.#done;
  }

  /** Stops a running verification (shutdown). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }
}
