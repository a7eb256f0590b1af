/**
 * Which account an identity at a provider signs in to: (issuer, sub) → user id, and nothing
 * else. Never a match by e-mail or username: whoever can choose those at the provider could
 * otherwise take over a local account. Links are made by an administrator (`recinto user
 * link-sso`, `user add --sso-sub`) or at a first sign-in when auto-creation allows it.
 */
import { DomainError } from '../errors.ts';
import type { Db } from '../store/db.ts';

export interface Identity {
  issuer: string;
  subject: string;
  userId: string;
  createdAt: number;
  lastLoginAt: number | null;
}

interface Row {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: number;
  last_login_at: number | null;
}

const fromRow = (r: Row): Identity => ({ issuer: r.issuer, subject: r.subject, userId: r.user_id, createdAt: r.created_at, lastLoginAt: r.last_login_at });

/** The issuer as identities are keyed by: its URL serialised (a trailing slash on a bare host, as discovery compares it). */
export function issuerKey(issuer: string): string {
  return new URL(issuer).href;
}

function statements(db: Db) {
  return {
    find: db.prepare('SELECT * FROM sso_identities WHERE issuer = ? AND subject = ?'),
    forUser: db.prepare('SELECT * FROM sso_identities WHERE user_id = ? ORDER BY issuer'),
    link: db.prepare('INSERT INTO sso_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)'),
    unlink: db.prepare('DELETE FROM sso_identities WHERE user_id = ? AND issuer = ?'),
    touch: db.prepare('UPDATE sso_identities SET last_login_at = ? WHERE issuer = ? AND subject = ?'),
  };
}

export class IdentityStore {
  readonly #q: ReturnType<typeof statements>;

  constructor(db: Db) {
    this.#q = statements(db);
  }

  find(issuer: string, subject: string): Identity | undefined {
    const row = this.#q.find.get(issuerKey(issuer), subject) as Row | undefined;
    return row && fromRow(row);
  }

  forUser(userId: string): Identity[] {
    return (this.#q.forUser.all(userId) as Row[]).map(fromRow);
  }

  /**
   * Links an identity to an account. Refused (CONFLICT) when the identity is linked already, or
   * the account has an identity at this issuer.
   */
  link(userId: string, issuer: string, subject: string, now = Date.now()): void {
    const key = issuerKey(issuer);
    const taken = this.find(key, subject);
    if (taken)
      throw new DomainError(
        'CONFLICT',
        taken.userId === userId ? 'this identity is linked to this account already' : 'this identity is linked to another account',
      );
    if (this.forUser(userId).some((i) => i.issuer === key))
      throw new DomainError('CONFLICT', 'this account is linked to another identity at this provider already');
    this.#q.link.run(key, subject, userId, now);
  }

  /** Removes the account's link at this issuer; whether there was one. */
  unlink(userId: string, issuer: string): boolean {
    return this.#q.unlink.run(userId, issuerKey(issuer)).changes === 1;
  }

  touch(issuer: string, subject: string, now = Date.now()): void {
    this.#q.touch.run(now, issuerKey(issuer), subject);
  }
}
