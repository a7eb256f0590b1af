/** What SIEM tests share: the chain as stored, and what a receiver got, de-duplicated by seq. */
import type { Checkpoint } from '../../server/audit/checkpoints.ts';
import type { ExportedRecord } from '../../server/audit/export.ts';
import { openDatabase } from '../../server/store/db.ts';

/** The records and checkpoints of the database in `dataDir` (opened read-only in effect, then closed). */
export function storedChain(dataDir: string): { records: ExportedRecord[]; checkpoints: Checkpoint[] } {
  const db = openDatabase(dataDir);
  try {
    return {
      records: db
        .prepare('SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail, hash FROM audit_log ORDER BY seq')
        .all() as ExportedRecord[],
      checkpoints: db.prepare('SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq').all() as Checkpoint[],
    };
  } finally {
    db.close();
  }
}

export type Arrival = { kind: 'record' | 'checkpoint'; seq: number };

/**
 * Arrivals in the order received, each (kind, seq) kept at its first arrival: what a receiver that
 * de-duplicates by seq holds. Also how many were repeats.
 */
export function firstArrivals(arrivals: readonly Arrival[]): { order: Arrival[]; repeats: number } {
  const seen = new Set<string>();
  const order: Arrival[] = [];
  for (const a of arrivals) {
    const key = `${a.kind}:${a.seq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    order.push(a);
  }
  return { order, repeats: arrivals.length - order.length };
}

/** The order a receiver must see: each record by seq, each checkpoint after the record it signs (and before the next). */
export function expectedOrder(records: readonly { seq: number }[], checkpoints: readonly { seq: number }[]): Arrival[] {
  const out: Arrival[] = [];
  let c = 0;
  for (const r of records) {
    out.push({ kind: 'record', seq: r.seq });
    while (c < checkpoints.length && checkpoints[c]!.seq <= r.seq) out.push({ kind: 'checkpoint', seq: checkpoints[c++]!.seq });
  }
  return out;
}
