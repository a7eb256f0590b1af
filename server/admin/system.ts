/**
 * The admin console's system view: versions, the media workers (alive, pid, CPU since the last
 * reading, routers, consumers), the TLS certificate being served (subject, issuer, expiry,
 * self-signed), what each SIEM destination has not acknowledged, the database's size.
 */
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import type { WorkerPool } from '../media/worker-pool.ts';
import { MEDIASOUP_VERSION, workerCpuSeconds } from '../media/worker-usage.ts';
import type { Siem } from '../siem/siem.ts';
import type { Db } from '../store/db.ts';
import type { SystemView } from '../../protocol/admin.ts';

export interface SystemDeps {
  pool: Pick<WorkerPool, 'slots'>;
  siem: Pick<Siem, 'outbox'>;
  db: Db;
  /** The certificate the HTTPS server was started with (PEM). */
  cert: Buffer;
  version: string;
  startedAt: number;
  draining: () => boolean;
}

const DAY_MS = 86_400_000;

export class SystemStatus {
  readonly #d: SystemDeps;
  readonly #certificate: SystemView['certificate'];
  /** Per worker process: its CPU seconds and when they were read. */
  readonly #last = new WeakMap<object, { cpu: number; at: number }>();

  constructor(deps: SystemDeps) {
    this.#d = deps;
    const x509 = new X509Certificate(deps.cert);
    this.#certificate = {
      subject: oneLine(x509.subject),
      issuer: oneLine(x509.issuer),
      notAfter: Date.parse(x509.validTo),
      daysLeft: 0,
      // Issued by itself and signed by its own key.
      selfSigned: x509.checkIssued(x509) && x509.verify(x509.publicKey),
    };
  }

  async view(now = Date.now()): Promise<SystemView> {
    const workers = await Promise.all(
      this.#d.pool.slots.map(async (slot) => {
        const alive = !slot.worker.closed && !slot.worker.died;
        const cpu = alive ? await workerCpuSeconds(slot.worker) : undefined;
        return {
          index: slot.index,
          alive,
          pid: alive ? (slot.worker.pid ?? null) : null,
          cpuPercent: cpu === undefined ? null : this.#cpuPercent(slot.worker, cpu, slot.startedAt),
          routers: slot.routers,
          consumers: slot.consumers,
        };
      }),
    );
    return {
      version: this.#d.version,
      node: process.version,
      mediasoup: MEDIASOUP_VERSION,
      startedAt: this.#d.startedAt,
      draining: this.#d.draining(),
      workers,
      certificate: { ...this.#certificate, daysLeft: Math.floor((this.#certificate.notAfter - now) / DAY_MS) },
      siem: this.#d.siem.outbox().map((d) => ({ destination: d.kind, pending: d.pending })),
      database: { bytes: databaseBytes(this.#d.db) },
    };
  }

  /** Percent of one core since the last reading of this process (the first time: since it started). */
  #cpuPercent(worker: object, cpu: number, startedAt: number): number {
    const at = Date.now();
    const last = this.#last.get(worker) ?? { cpu: 0, at: startedAt };
    this.#last.set(worker, { cpu, at });
    const seconds = (at - last.at) / 1000;
    if (seconds <= 0) return 0;
    return Math.round((Math.max(0, cpu - last.cpu) / seconds) * 1000) / 10;
  }
}

/** `CN=…\nO=…` as `CN=…, O=…`. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ').slice(0, 512);
}

/** The database file and its write-ahead log. */
function databaseBytes(db: Db): number {
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return size(db.name) + size(`${db.name}-wal`);
}
