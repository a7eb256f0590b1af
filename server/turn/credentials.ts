/**
 * Ephemeral TURN credentials in the TURN REST API form coturn checks with `use-auth-secret`
 * (draft-uberti-behave-turn-rest): username `<expiry unix seconds>:<participant id>`, password
 * base64(HMAC-SHA1(shared secret, username)). coturn refuses them once the expiry has passed; the
 * participant id in the name binds them to one participant (and coturn's per-user quota counts
 * per participant).
 */
import { createHmac } from 'node:crypto';

export interface TurnCredentials {
  readonly username: string;
  readonly credential: string;
  /** Unix milliseconds. */
  readonly expiresAt: number;
}

/** Credentials valid until `expiresAt` (rounded down to the second). */
export function turnCredentials(secret: string, participantId: string, expiresAt: number): TurnCredentials {
  const expirySeconds = Math.floor(expiresAt / 1000);
  const username = `${expirySeconds}:${participantId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expirySeconds * 1000 };
}

/** When credentials handed out now expire: `ttlSeconds` from now, never after the session ends. */
export function credentialExpiry(now: number, ttlSeconds: number, sessionExpiresAt: number): number {
  return Math.min(now + ttlSeconds * 1000, sessionExpiresAt);
}
