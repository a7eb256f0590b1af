/**
 * What staff and guest sessions share: a table keyed by the hash of the session id, with an
 * idle limit (refreshed by activity, written at most every 30 s) and an absolute limit.
 */
import type { Db } from '../store/db.ts';

/** Activity is written at most this often per session (every request would be a write). */
const TOUCH_EVERY_MS = 30_000;

export interface LiveRow {
  id_hash: string;
  last_seen_at: number;
  expires_at: number;
}

export class SessionTable<R extends LiveRow> {
  readonly #db: Db;
  readonly #table: string;
  readonly idleMs: number;
  readonly absoluteMs: number;

  constructor(db: Db, table: 'sessions' | 'guest_sessions', limits: { idleMinutes: number; absoluteHours: number }) {
    this.#db = db;
    this.#table = table;
    this.idleMs = limits.idleMinutes * 60_000;
    this.absoluteMs = limits.absoluteHours * 3_600_000;
  }

  /** The row if the session is live (its activity refreshed); `expired` when it just ran out. */
  live(idHash: string, now: number): { row: R } | { expired: boolean } {
    const row = this.#db.prepare(`SELECT * FROM ${this.#table} WHERE id_hash = ?`).get(idHash) as R | undefined;
    if (!row) return { expired: false };
    if (now >= row.expires_at || now - row.last_seen_at >= this.idleMs) return { expired: true };
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
      this.#db.prepare(`UPDATE ${this.#table} SET last_seen_at = ? WHERE id_hash = ?`).run(now, row.id_hash);
      row.last_seen_at = now;
    }
    return { row };
  }

  /** Hashes of sessions past either limit. */
  expired(now: number): string[] {
    return this.#db.prepare(`SELECT id_hash FROM ${this.#table} WHERE expires_at <= ? OR last_seen_at <= ?`).pluck().all(now, now - this.idleMs) as string[];
  }

  delete(idHashes: string[]): void {
    const del = this.#db.prepare(`DELETE FROM ${this.#table} WHERE id_hash = ?`);
    this.#db.transaction(() => idHashes.forEach((h) => del.run(h)))();
  }
}
