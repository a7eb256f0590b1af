/**
 * The one function every security-relevant event goes through. Rows are append-only (the table's
 * triggers refuse UPDATE and DELETE). Never put secrets, tokens or message contents in `detail`.
 */
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

export function createAudit(db: Db): Audit {
  const insert = db.prepare('INSERT INTO audit_log (at, action, actor, meeting_id, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
  return (event) => {
    insert.run(Date.now(), event.action, event.actor ?? null, event.meetingId ?? null, event.outcome, JSON.stringify(event.detail ?? {}));
  };
}
