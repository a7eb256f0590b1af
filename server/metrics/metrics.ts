/**
 * The server's metrics, in their own prom-client Registry (never the global one). Gauges are read
 * when scraped (each metric's `collect`): the running meetings from the registry, producers,
 * consumers and CPU time from the media workers. Counters and histograms are fed through the
 * MetricsPort by the code where the event happens. Labels carry only bounded, impersonal values:
 * a worker's index, an error code, an outcome — never a meeting, account, name or address.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ErrorCode } from '../../protocol/errors.ts';
import type { WorkerSlot } from '../media/worker-pool.ts';
import { workerCpuSeconds } from '../media/worker-usage.ts';
import type { MetricsPort } from './port.ts';

/** What the metrics read of the running meetings (MeetingRegistry). */
export interface MeetingTotalsSource {
  totals(): { meetings: number; participants: number; waiting: number };
}

/** What the metrics read of the media workers (WorkerPool). */
export interface WorkerSource {
  readonly slots: readonly Pick<WorkerSlot, 'index' | 'worker' | 'routers' | 'producers' | 'consumers'>[];
}

/** What the metrics read of the SIEM forwarding (server/siem): each destination's outbox length. */
export interface SiemSource {
  outbox(): readonly { kind: 'syslog' | 'https'; pending: number }[];
}

export class RecintoMetrics implements MetricsPort {
  readonly registry = new Registry();
  readonly #refused: Counter<'code'>;
  readonly #join: Histogram<'status'>;
  readonly #signIn: Histogram<'outcome'>;

  constructor(deps: { meetings: MeetingTotalsSource; pool: WorkerSource; siem?: SiemSource }) {
    const registers = [this.registry];
    const { meetings, pool, siem } = deps;

    const gauge = (name: string, help: string, read: () => number) => {
      const metric: Gauge = new Gauge({ name, help, registers, collect: () => metric.set(read()) });
    };
    gauge('recinto_meetings_running', 'Meetings running now (someone inside or waiting).', () => meetings.totals().meetings);
    gauge('recinto_participants', 'Participants inside running meetings (the waiting rooms not counted).', () => meetings.totals().participants);
    gauge('recinto_waiting', 'People in the waiting rooms of running meetings.', () => meetings.totals().waiting);
    gauge('recinto_producers', 'Media producers (tracks sent to the SFU) on every media worker.', () => sum(pool.slots, (s) => s.producers));
    gauge('recinto_consumers', 'Media consumers (tracks the SFU sends to a participant) on every media worker.', () => sum(pool.slots, (s) => s.consumers));

    const perWorker = (name: string, help: string, read: (slot: WorkerSource['slots'][number]) => number) => {
      const metric: Gauge<'worker'> = new Gauge({
        name,
        help,
        labelNames: ['worker'],
        registers,
        collect: () => {
          metric.reset();
          for (const slot of pool.slots) metric.set({ worker: String(slot.index) }, read(slot));
        },
      });
    };
    perWorker('recinto_media_worker_consumers', 'Media consumers on each media worker (label worker: its index).', (s) => s.consumers);
    perWorker('recinto_media_worker_routers', 'Routers (one per running meeting) on each media worker (label worker: its index).', (s) => s.routers);

    // CPU time is cumulative: the counter grows by what each worker process used since the last
    // scrape, and goes on growing across a replaced worker (whose own count starts again at 0).
    const seen = new WeakMap<object, number>();
    const cpu: Counter<'worker'> = new Counter({
      name: 'recinto_media_worker_cpu_seconds_total',
      help: 'CPU time (user and system) used by each media worker process, in seconds (label worker: its index).',
      labelNames: ['worker'],
      registers,
      collect: async () => {
        await Promise.all(
          pool.slots.map(async (slot) => {
            const worker = String(slot.index);
            cpu.inc({ worker }, 0);
            const seconds = await workerCpuSeconds(slot.worker);
            if (seconds === undefined) return;
            // Read after the await: concurrent scrapes add each interval once.
            const last = seen.get(slot.worker) ?? 0;
            if (seconds > last) {
              cpu.inc({ worker }, seconds - last);
              seen.set(slot.worker, seconds);
            }
          }),
        );
      },
    });

    // The label is the kind of destination (at most one of each is configured), never its address.
    const outbox: Gauge<'destination'> = new Gauge({
      name: 'recinto_siem_outbox_records',
      help: 'Audit records and checkpoints a SIEM destination has not acknowledged yet (label destination: syslog or https).',
      labelNames: ['destination'],
      registers,
      collect: () => {
        outbox.reset();
        for (const d of siem?.outbox() ?? []) outbox.set({ destination: d.kind }, d.pending);
      },
    });

    this.#join = new Histogram({
      name: 'recinto_join_seconds',
      help: 'Time from a join request arriving to its answer (status: joined, or waiting for a host), in seconds.',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#signIn = new Histogram({
      name: 'recinto_sign_in_seconds',
      help: 'Time to answer the password step of a sign-in (POST /api/auth/login; outcome: ok or refused), in seconds.',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.#refused = new Counter({
      name: 'recinto_refused_total',
      help: 'Requests answered with an error, signalling and HTTP, by error code (protocol/errors.ts).',
      labelNames: ['code'],
      registers,
    });
    for (const status of ['joined', 'waiting']) this.#join.zero({ status });
    for (const outcome of ['ok', 'refused']) this.#signIn.zero({ outcome });
    // Every code from the start, at 0: a rate over a code that has not happened yet is 0, not absent.
    for (const code of Object.values(ErrorCode)) this.#refused.inc({ code }, 0);
  }

  refused(code: ErrorCode): void {
    this.#refused.inc({ code });
  }

  joinAnswered(status: 'joined' | 'waiting', seconds: number): void {
    this.#join.observe({ status }, seconds);
  }

  signInAnswered(outcome: 'ok' | 'refused', seconds: number): void {
    this.#signIn.observe({ outcome }, seconds);
  }

  /** The exposition (Prometheus text format) and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
