/**
 * The one function every security-relevant event goes through. Rows are append-only (the table's
 * triggers refuse UPDATE and DELETE) and hash-chained: each carries SHA-256(previous row's hash ‖
 * its canonical encoding) (server/store/audit-chain.ts, docs/audit.md). Never put secrets, tokens
 * or message contents in `detail`.
 */
import { GENESIS_HASH, chainHash } from '../store/audit-chain.ts';
import type { Db } from '../store/db.ts';

export type AuditOutcome = 'ok' | 'denied' | 'error';

export interface AuditEvent {
  action: string;
  outcome: AuditOutcome;
  actor?: string | undefined;
  meetingId?: string | undefined;
  detail?: Record<string, unknown>;
}

export type Audit = (event: AuditEvent) => void;

/** What an append wrote: the record's place on the chain. */
export interface AuditAppended {
  seq: number;
  hash: string;
}

/**
 * The server and the CLI both append to the same file, so the previous hash is read and the row
 * inserted inside one IMMEDIATE transaction (the write lock is taken before the read): never two
 * rows chained from the same predecessor, never a hash cached in memory.
 */
export function createAudit(db: Db): (event: AuditEvent) => AuditAppended {
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare('INSERT INTO audit_log (seq, at, action, actor, meeting_id, outcome, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const append = db.transaction((event: AuditEvent): AuditAppended => {
    const previous = last.get() as { seq: number; hash: string } | undefined;
    const record = {
      seq: (previous?.seq ?? 0) + 1,
      at: Date.now(),
      action: event.action,
      actor: event.actor ?? null,
      meetingId: event.meetingId ?? null,
      outcome: event.outcome,
      detail: JSON.stringify(event.detail ?? {}),
    };
    const hash = chainHash(previous?.hash ?? GENESIS_HASH, record);
    insert.run(record.seq, record.at, record.action, record.actor, record.meetingId, record.outcome, record.detail, hash);
    return { seq: record.seq, hash };
  });
  return (event) => append.immediate(event);
}
