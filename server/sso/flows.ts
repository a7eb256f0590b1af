/**
 * Sign-ins in progress at the identity provider. What the callback needs to finish one (the PKCE
 * code verifier, `state`, `nonce`, where to go afterwards) stays here, on the server; the browser
 * holds only a random 256-bit id in a short-lived cookie, whose SHA-256 is the key. A flow is
 * taken once: the first callback marks it used, so a replayed callback is refused before the
 * provider is even asked about its code. Flows older than FLOW_TTL_MS are refused and swept.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '../errors.ts';
import type { Db } from '../store/db.ts';

/** Ten minutes from the click to the callback (the provider's login page, a second factor there). */
export const FLOW_TTL_MS = 10 * 60_000;
/** Sign-ins in progress at once, in all; past it new ones wait (BUSY) until old ones end or expire. */
const MAX_PENDING = 10_000;

export interface Flow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A path of this site to go to after signing in (already checked), or null for the home page. */
  returnTo: string | null;
  createdAt: number;
}

/** Why a callback found no flow to finish. */
export type NoFlow = 'no-cookie' | 'unknown' | 'replayed' | 'expired';

interface Row {
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string | null;
  created_at: number;
  used_at: number | null;
}

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');

function statements(db: Db) {
  return {
    pending: db.prepare('SELECT count(*) FROM sso_flows WHERE used_at IS NULL AND created_at > ?').pluck(),
    insert: db.prepare('INSERT INTO sso_flows (id_hash, state, nonce, code_verifier, return_to, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    take: db.prepare('UPDATE sso_flows SET used_at = ? WHERE id_hash = ? AND used_at IS NULL RETURNING *'),
    seen: db.prepare('SELECT used_at FROM sso_flows WHERE id_hash = ?'),
    sweep: db.prepare('DELETE FROM sso_flows WHERE created_at <= ?'),
  };
}

export class FlowStore {
  readonly #q: ReturnType<typeof statements>;

  constructor(db: Db) {
    this.#q = statements(db);
  }

  /** Keeps a new flow; returns the raw id for the browser's cookie (never stored). */
  create(flow: Omit<Flow, 'createdAt'>, now = Date.now()): string {
    if ((this.#q.pending.get(now - FLOW_TTL_MS) as number) >= MAX_PENDING) {
      throw new DomainError('BUSY', 'too many sign-ins in progress; try again in a minute', { retryAfterSeconds: 60 });
    }
    const id = randomBytes(32).toString('base64url');
    this.#q.insert.run(hash(id), flow.state, flow.nonce, flow.codeVerifier, flow.returnTo, now);
    return id;
  }

  /** The flow this cookie names, marked used in the same statement; or why there is none. */
  take(id: string | undefined, now = Date.now()): { flow: Flow } | { none: NoFlow } {
    if (!id) return { none: 'no-cookie' };
    if (id.length > 64) return { none: 'unknown' };
    const row = this.#q.take.get(now, hash(id)) as Row | undefined;
    if (!row) return { none: this.#q.seen.get(hash(id)) ? 'replayed' : 'unknown' };
    if (row.created_at <= now - FLOW_TTL_MS) return { none: 'expired' };
    return { flow: { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to, createdAt: row.created_at } };
  }

  /** Forgets flows past their lifetime, used or not (run periodically). */
  sweep(now = Date.now()): number {
    return this.#q.sweep.run(now - FLOW_TTL_MS).changes;
  }
}
