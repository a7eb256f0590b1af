/**
 * What staff and guest sessions share: a table keyed by the hash of the session id, with an
 * idle limit (refreshed by activity, written at most every 30 s) and an absolute limit.
 *
 * `live` runs for every signalling message (the socket re-checks its session each time), so the
 * statements are prepared once, here, rather than on every call.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../store/db.ts';

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/** Activity is written at most this often per session (every request would be a write). */
const TOUCH_EVERY_MS = 30_000;

/** Session lifetimes; a function is read at each use, so a change (the admin console's policy) applies at once. */
export interface SessionLimits {
  idleMinutes: number;
  absoluteHours: number;
}
export type LimitsSource = SessionLimits | (() => SessionLimits);

export interface LiveRow {
  id_hash: string;
  last_seen_at: number;
  expires_at: number;
}

export class SessionTable<R extends LiveRow> {
  readonly #db: Db;
  readonly #limits: () => SessionLimits;
  readonly #select: Statement<[string], R>;
  readonly #touch: Statement<[number, string]>;
  readonly #expired: Statement<[number, number], string>;
  readonly #delete: Statement<[string]>;

  constructor(db: Db, table: 'sessions' | 'guest_sessions', limits: LimitsSource) {
    this.#db = db;
    this.#limits = typeof limits === 'function' ? limits : () => limits;
    // `table` is one of two literals, never input: safe to interpolate.
    this.#select = db.prepare<[string], R>(`SELECT * FROM ${table} WHERE id_hash = ?`);
    this.#touch = db.prepare<[number, string]>(`UPDATE ${table} SET last_seen_at = ? WHERE id_hash = ?`);
    this.#expired = db.prepare<[number, number], string>(`SELECT id_hash FROM ${table} WHERE expires_at <= ? OR last_seen_at <= ?`).pluck();
    this.#delete = db.prepare<[string]>(`DELETE FROM ${table} WHERE id_hash = ?`);
  }

  /** The idle limit now: it applies to existing sessions too. */
  get idleMs(): number {
    return this.#limits().idleMinutes * 60_000;
  }

  /** The absolute limit now: a new session's expiry (an existing one keeps the expiry it was given). */
  get absoluteMs(): number {
    return this.#limits().absoluteHours * 3_600_000;
  }

  /** The row if the session is live (its activity refreshed); `expired` when it just ran out. */
  live(idHash: string, now: number): { row: R } | { expired: boolean } {
    const row = this.#select.get(idHash);
    if (!row) return { expired: false };
    if (now >= row.expires_at || now - row.last_seen_at >= this.idleMs) return { expired: true };
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
      this.#touch.run(now, row.id_hash);
      row.last_seen_at = now;
    }
    return { row };
  }

  /** Hashes of sessions past either limit. */
  expired(now: number): string[] {
    return this.#expired.all(now, now - this.idleMs);
  }

  delete(idHashes: string[]): void {
    this.#db.transaction(() => idHashes.forEach((h) => this.#delete.run(h)))();
  }
}
