/**
 * Guest access: someone without an account who gave a meeting's password gets a session for
 * that one meeting (cookie `__Host-recinto-guest`), bound to a device token the browser keeps.
 * As for staff sessions, only hashes are stored, and listeners hear when a session ends.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db.ts';
import { SessionTable, type LimitsSource } from './session-table.ts';
import { hashSessionId } from './sessions.ts';

export const GUEST_COOKIE = '__Host-recinto-guest';

export interface GuestSession {
  idHash: string;
  meetingId: string;
  displayName: string;
  deviceHash: string;
  expiresAt: number;
  lastSeenAt: number;
}

interface Row {
  id_hash: string;
  meeting_id: string;
  display_name: string;
  device_hash: string;
  expires_at: number;
  last_seen_at: number;
}

const DEVICE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token a browser keeps to be recognised (a removed guest coming back is flagged). */
export function newDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isDeviceToken(token: unknown): token is string {
  return typeof token === 'string' && DEVICE_TOKEN.test(token);
}

export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(`device:${token}`).digest('base64url');
}

/** A guest's id in meetings, audit and bans: `guest:` and the start of their device hash. */
export function guestAccountId(deviceHash: string): string {
  return `guest:${deviceHash.slice(0, 24)}`;
}

type Events = { ended: [idHashes: string[]] };

export class GuestSessionStore extends EventEmitter<Events> {
  readonly #insert: Statement;
  readonly #ofMeeting: Statement;
  readonly #table: SessionTable<Row>;

  constructor(db: Db, limits: LimitsSource) {
    super();
    this.#insert = db.prepare(
      'INSERT INTO guest_sessions (id_hash, meeting_id, display_name, device_hash, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#ofMeeting = db.prepare('SELECT id_hash FROM guest_sessions WHERE meeting_id = ?').pluck();
    this.#table = new SessionTable<Row>(db, 'guest_sessions', limits);
  }

  create(meetingId: string, displayName: string, deviceHash: string): { id: string; session: GuestSession } {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session = { idHash: hashSessionId(id), meetingId, displayName, deviceHash, expiresAt: now + this.#table.absoluteMs, lastSeenAt: now };
    this.#insert.run(session.idHash, meetingId, displayName, deviceHash, now, now, session.expiresAt);
    return { id, session };
  }

  lookup(id: string | undefined, now = Date.now()): GuestSession | undefined {
    if (!id || id.length > 128) return undefined;
    return this.lookupByHash(hashSessionId(id), now);
  }

  lookupByHash(idHash: string, now = Date.now()): GuestSession | undefined {
    const found = this.#table.live(idHash, now);
    if (!('row' in found)) {
      if (found.expired) this.end([idHash]);
      return undefined;
    }
    const row = found.row;
    return {
      idHash: row.id_hash,
      meetingId: row.meeting_id,
      displayName: row.display_name,
      deviceHash: row.device_hash,
      expiresAt: row.expires_at,
      lastSeenAt: row.last_seen_at,
    };
  }

  end(idHashes: string[]): void {
    if (idHashes.length === 0) return;
    this.#table.delete(idHashes);
    this.emit('ended', idHashes);
  }

  /** Ends every guest session of a meeting except those in `keep` (the password changed). */
  endForMeeting(meetingId: string, keep: ReadonlySet<string>): number {
    const ending = (this.#ofMeeting.all(meetingId) as string[]).filter((h) => !keep.has(h));
    this.end(ending);
    return ending.length;
  }

  sweep(now = Date.now()): number {
    const hashes = this.#table.expired(now);
    this.end(hashes);
    return hashes.length;
  }
}
