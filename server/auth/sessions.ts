/**
 * Server-side sessions. The browser holds a random 256-bit id in a `__Host-` cookie (HttpOnly,
 * Secure, SameSite=Strict, Path=/); the database holds only its SHA-256. A session is at stage
 * `password` after the first factor and `verified` after the second; each step gets a new id.
 * Sessions end after an idle period and at an absolute limit, at logout, "sign out everywhere",
 * or an admin's revocation; listeners (the signalling sockets) are told so they can close.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db } from '../store/db.ts';
import { SessionTable, type LimitsSource } from './session-table.ts';

export const SESSION_COOKIE = '__Host-recinto';

export type SessionStage = 'password' | 'verified';

export interface Session {
  idHash: string;
  userId: string;
  stage: SessionStage;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

interface Row {
  id_hash: string;
  user_id: string;
  stage: SessionStage;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

type Events = { ended: [idHashes: string[]] };

export class SessionStore extends EventEmitter<Events> {
  readonly #db: Db;
  readonly #table: SessionTable<Row>;

  constructor(db: Db, limits: LimitsSource) {
    super();
    this.#db = db;
    this.#table = new SessionTable<Row>(db, 'sessions', limits);
  }

  /** A new session; returns the raw id for the cookie (never stored). */
  create(userId: string, stage: SessionStage, meta: { ip?: string; userAgent?: string }, expiresAt?: number): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: Session = {
      idHash: hashSessionId(id),
      userId,
      stage,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: expiresAt ?? now + this.#table.absoluteMs,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 256) ?? null,
    };
    this.#db
      .prepare(
        `INSERT INTO sessions (id_hash, user_id, stage, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(session.idHash, userId, stage, session.csrfToken, now, now, session.expiresAt, session.ip, session.userAgent);
    return { id, session };
  }

  /** The live session for a raw id, with its activity refreshed; ends it if it has expired. */
  lookup(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id || id.length > 128) return undefined;
    return this.lookupByHash(hashSessionId(id), now);
  }

  lookupByHash(idHash: string, now = Date.now()): Session | undefined {
    const found = this.#table.live(idHash, now);
    if ('row' in found) return fromRow(found.row);
    if (found.expired) this.end([idHash]);
    return undefined;
  }

  /**
   * Replaces a session with a fresh id (after each sign-in step, against session fixation),
   * keeping its absolute expiry.
   */
  rotate(old: Session, stage: SessionStage, meta: { ip?: string; userAgent?: string }): { id: string; session: Session } {
    return this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(old.idHash);
      return this.create(old.userId, stage, meta, old.expiresAt);
    })();
  }

  forUser(userId: string): Session[] {
    return (this.#db.prepare('SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at').all(userId) as Row[]).map(fromRow);
  }

  /** How many of the user's sessions are live now (the admin console's list). */
  liveCount(userId: string, now = Date.now()): number {
    return this.forUser(userId).filter((s) => now < s.expiresAt && now - s.lastSeenAt < this.#table.idleMs).length;
  }

  /** Ends these sessions and tells listeners. */
  end(idHashes: string[]): void {
    if (idHashes.length === 0) return;
    this.#table.delete(idHashes);
    this.emit('ended', idHashes);
  }

  /** Ends every session of a user, optionally but one; returns how many ended. */
  endAllForUser(userId: string, exceptIdHash?: string): number {
    const hashes = this.forUser(userId)
      .map((s) => s.idHash)
      .filter((h) => h !== exceptIdHash);
    this.end(hashes);
    return hashes.length;
  }

  /** Ends sessions past their idle or absolute limit (run periodically). */
  sweep(now = Date.now()): number {
    const hashes = this.#table.expired(now);
    this.end(hashes);
    return hashes.length;
  }
}

function fromRow(r: Row): Session {
  return {
    idHash: r.id_hash,
    userId: r.user_id,
    stage: r.stage,
    csrfToken: r.csrf_token,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    ip: r.ip,
    userAgent: r.user_agent,
  };
}
