/**
 * The SIEM outbox, derived from the chain: a destination's cursor (table `siem_cursors`) holds the
 * last record seq and the last checkpoint seq it has acknowledged; everything after it on the
 * chain is still to send, oldest first. An audit append writes nothing for the SIEM (it cannot be
 * slowed down by it), records appended by the admin commands from another process are sent too,
 * and nothing is lost while the receiver or this server is down: the chain is kept forever.
 */
import type { Checkpoint } from '../audit/checkpoints.ts';
import type { ExportedRecord } from '../audit/export.ts';
import type { Db } from '../store/db.ts';

/** Where a destination stands: the last record and the last checkpoint it has (been sent or acknowledged). */
export interface OutboxPosition {
  record: number;
  checkpoint: number;
}

export type OutboxItem = { kind: 'record'; record: ExportedRecord } | { kind: 'checkpoint'; checkpoint: Checkpoint };

export const START: OutboxPosition = { record: 0, checkpoint: 0 };

/** The position after `items` were sent from `from`. */
export function positionAfter(from: OutboxPosition, items: readonly OutboxItem[]): OutboxPosition {
  let { record, checkpoint } = from;
  for (const item of items) {
    if (item.kind === 'record') record = item.record.seq;
    else checkpoint = item.checkpoint.seq;
  }
  return { record, checkpoint };
}

/** What `destination` has not acknowledged yet: records and checkpoints after its cursor. */
export function outboxLength(db: Db, destination: string): number {
  const at = readCursor(db, destination);
  const records = db.prepare('SELECT count(*) FROM audit_log WHERE seq > ?').pluck().get(at.record) as number;
  const checkpoints = db.prepare('SELECT count(*) FROM audit_checkpoints WHERE seq > ?').pluck().get(at.checkpoint) as number;
  return records + checkpoints;
}

export function readCursor(db: Db, destination: string): OutboxPosition {
  const row = db.prepare('SELECT record_seq AS record, checkpoint_seq AS checkpoint FROM siem_cursors WHERE destination = ?').get(destination) as
    OutboxPosition | undefined;
  return row ?? { ...START };
}

/** One destination's queue. */
export class Outbox {
  readonly destination: string;
  readonly #db: Db;
  readonly #records;
  readonly #checkpoints;
  readonly #save;
  #acked: OutboxPosition;

  constructor(db: Db, destination: string) {
    this.#db = db;
    this.destination = destination;
    this.#records = db.prepare(
      'SELECT seq, at, action, actor, meeting_id AS meetingId, outcome, detail, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.#checkpoints = db.prepare('SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq > ? AND seq <= ? ORDER BY seq');
    this.#save = db.prepare(
      `INSERT INTO siem_cursors (destination, record_seq, checkpoint_seq, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (destination) DO UPDATE SET record_seq = excluded.record_seq, checkpoint_seq = excluded.checkpoint_seq, updated_at = excluded.updated_at`,
    );
    this.#acked = readCursor(db, destination);
  }

  /** The last position the destination acknowledged (as stored). */
  get acked(): OutboxPosition {
    return { ...this.#acked };
  }

  /**
   * Up to `limit` records after `from`, in seq order, each checkpoint right after the record it
   * signs (a checkpoint of a record sent before comes first). Read in one transaction, so a
   * checkpoint never refers to a record not in this read or an earlier one.
   */
  read(from: OutboxPosition, limit: number): OutboxItem[] {
    return this.#db.transaction(() => {
      const records = this.#records.all(from.record, limit) as ExportedRecord[];
      const upTo = records.at(-1)?.seq ?? from.record;
      const checkpoints = this.#checkpoints.all(from.checkpoint, upTo) as Checkpoint[];
      const items: OutboxItem[] = [];
      let c = 0;
      while (c < checkpoints.length && checkpoints[c]!.seq <= from.record) items.push({ kind: 'checkpoint', checkpoint: checkpoints[c++]! });
      for (const record of records) {
        items.push({ kind: 'record', record });
        while (c < checkpoints.length && checkpoints[c]!.seq <= record.seq) items.push({ kind: 'checkpoint', checkpoint: checkpoints[c++]! });
      }
      return items;
    })();
  }

  /** Stores `position` as acknowledged (never moves back). */
  ack(position: OutboxPosition): void {
    if (position.record <= this.#acked.record && position.checkpoint <= this.#acked.checkpoint) return;
    const next = { record: Math.max(position.record, this.#acked.record), checkpoint: Math.max(position.checkpoint, this.#acked.checkpoint) };
    this.#save.run(this.destination, next.record, next.checkpoint, Date.now());
    this.#acked = next;
  }

  /** Records and checkpoints not acknowledged yet. */
  length(): number {
    return outboxLength(this.#db, this.destination);
  }
}
