/**
 * Forwarding the audit trail to the institution's SIEM (docs/audit.md, "SIEM"): syslog over TLS
 * and/or signed HTTPS batches, each destination sending, in order, every record and checkpoint
 * after its cursor. Started by app.ts after the checkpoints and closed after their last one (and
 * before the database closes). An audit append never waits for any of this.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/db.ts';
import { createSyslogFormatter } from './format.ts';
import type { Forwarder } from './forwarder.ts';
import { HttpsForwarder, httpsDestination } from './https.ts';
import { Outbox } from './outbox.ts';
import { SyslogForwarder, syslogDestination } from './syslog.ts';

export interface OutboxState {
  /** Which kind of destination (a bounded label, for metrics and the admin console). */
  kind: 'syslog' | 'https';
  destination: string;
  /** Records and checkpoints not acknowledged yet. */
  pending: number;
  /** The last record seq the destination acknowledged. */
  ackedSeq: number;
}

export interface Siem {
  /** Each configured destination and its outbox length (for the admin console and metrics). */
  outbox(): OutboxState[];
  /** Something new to send (a checkpoint was written): stop waiting for the next poll. */
  wake(): void;
  /** Sends what is left for up to `graceMs`, then stops; the rest waits in the outbox. */
  close(graceMs?: number): Promise<void>;
}

export interface SiemOptions {
  /** Syslog: how long a connection must stay up after a write for it to count as acknowledged. */
  settleMs?: number;
  pollMs?: number;
}

/** Reads the configured files now (a missing CA or key stops the start) and starts each enabled destination. */
export function startSiem(config: Config['siem'], db: Db, log: Logger, options: SiemOptions = {}): Siem {
  const common = { log, batchSize: config.batchSize, retry: { minMs: config.retryMinMs, maxMs: config.retryMaxMs }, pollMs: options.pollMs };
  const forwarders: { kind: OutboxState['kind']; f: Forwarder }[] = [];
  const { syslog, https } = config;
  if (syslog.enabled) {
    const target = {
      host: syslog.host,
      port: syslog.port,
      ca: readOptional(syslog.caFile),
      cert: readOptional(syslog.certFile),
      key: readOptional(syslog.keyFile),
    };
    const format = createSyslogFormatter({ facility: syslog.facility });
    forwarders.push({
      kind: 'syslog',
      f: new SyslogForwarder({ ...common, outbox: new Outbox(db, syslogDestination(target)), target, format, settleMs: options.settleMs ?? syslog.settleMs }),
    });
  }
  if (https.enabled) {
    const key = https.hmacKeyFile ? readHmacKeyFile(https.hmacKeyFile) : Buffer.from(https.secret);
    forwarders.push({
      kind: 'https',
      f: new HttpsForwarder({ ...common, outbox: new Outbox(db, httpsDestination(https.url)), url: https.url, key, ca: readOptional(https.caFile) }),
    });
  }
  for (const { f } of forwarders) {
    f.start();
    log.info({ destination: f.destination, pending: f.outbox.length() }, 'forwarding the audit trail to the SIEM');
  }
  return {
    outbox: () => forwarders.map(({ kind, f }) => ({ kind, destination: f.destination, pending: f.outbox.length(), ackedSeq: f.outbox.acked.record })),
    wake: () => forwarders.forEach(({ f }) => f.wake()),
    close: async (graceMs) => {
      await Promise.all(forwarders.map(({ f }) => f.close(graceMs)));
    },
  };
}

function readOptional(file: string): Buffer | undefined {
  return file ? readFileSync(file) : undefined;
}

/** The HMAC key: the file's bytes without a trailing line break; at least 32; not readable by group or others. */
export function readHmacKeyFile(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const { mode } = fstatSync(fd);
    if ((mode & 0o077) !== 0) {
      throw new Error(`HMAC key file ${file} is accessible to group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
    }
    const text = readFileSync(fd)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (Buffer.byteLength(text) < 32) throw new Error(`HMAC key file ${file}: at least 32 bytes (e.g. openssl rand -hex 32)`);
    return Buffer.from(text);
  } finally {
    closeSync(fd);
  }
}
