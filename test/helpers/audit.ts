/** The audit trail as tests read it: one query, rows oldest first, `detail` parsed. */
import type { Db } from '../../server/store/db.ts';
import type { TestServer } from './server.ts';

export interface AuditRow {
  seq: number;
  at: number;
  action: string;
  actor: string | null;
  meetingId: string | null;
  outcome: 'ok' | 'denied' | 'error';
  detail: Record<string, unknown>;
  /** `detail` as stored (to check what never reaches the log). */
  rawDetail: string;
}

/** `action`: exact, or a prefix ending in `.` (e.g. `host.`); other filters exact. */
export function auditRows(db: Db, filter: { action?: string; outcome?: AuditRow['outcome']; meetingId?: string } = {}): AuditRow[] {
  const where: string[] = [];
  const args: string[] = [];
  if (filter.action !== undefined) {
    where.push(filter.action.endsWith('.') ? 'action LIKE ?' : 'action = ?');
    args.push(filter.action.endsWith('.') ? `${filter.action}%` : filter.action);
  }
  if (filter.outcome !== undefined) {
    where.push('outcome = ?');
    args.push(filter.outcome);
  }
  if (filter.meetingId !== undefined) {
    where.push('meeting_id = ?');
    args.push(filter.meetingId);
  }
  const sql = `SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
  const rows = db.prepare(sql).all(...args) as (Omit<AuditRow, 'detail' | 'rawDetail'> & { detail: string })[];
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown>, rawDetail: r.detail }));
}

/** The codes of the refusals audited for `action` (exact), in `meetingId` if given, oldest first. */
export function deniedCodes(server: TestServer, action: string, meetingId?: string): unknown[] {
  return auditRows(server.recinto.db, { action, outcome: 'denied', ...(meetingId ? { meetingId } : {}) }).map((r) => r.detail.code);
}
