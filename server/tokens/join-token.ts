/**
 * Interim join tokens (until accounts exist): short-lived HS256 JWTs that only a server-side
 * command (`recinto token`) can mint, with a key that never leaves the data directory.
 * A token names one meeting and one display name; it may be used again until it expires (so a
 * participant can reconnect after a media failure).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { DisplayName } from '../signaling/protocol.ts';
import { compile } from '../validation.ts';

const AUDIENCE = 'recinto:join';
const isDisplayName = compile(DisplayName);

export interface JoinClaims {
  meetingId: string;
  displayName: string;
  tokenId: string;
  expiresAt: number;
}

export type JoinTokenFailure = 'TOKEN_INVALID' | 'TOKEN_EXPIRED';

export class JoinTokenError extends Error {
  readonly code: JoinTokenFailure;
  constructor(code: JoinTokenFailure, message: string) {
    super(message);
    this.code = code;
  }
}

/** The signing key, created (0600) on first use. */
export function loadSigningKey(dataDir: string): Uint8Array {
  const dir = join(dataDir, 'secrets');
  const file = join(dir, 'join-token.key');
  try {
    const key = readFileSync(file);
    if (key.length === 32) return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file);
}

export async function mintJoinToken(
  key: Uint8Array,
  input: { meetingId: string; displayName: string; ttlSeconds: number },
): Promise<string> {
  if (!isDisplayName(input.displayName)) throw new Error(`invalid display name: ${JSON.stringify(input.displayName)}`);
  return new SignJWT({ mid: input.meetingId, name: input.displayName })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + input.ttlSeconds)
    .sign(key);
}

export async function verifyJoinToken(key: Uint8Array, token: string, meetingId: string): Promise<JoinClaims> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience: AUDIENCE, requiredClaims: ['exp', 'jti'] }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new JoinTokenError('TOKEN_EXPIRED', 'join token expired');
    throw new JoinTokenError('TOKEN_INVALID', 'join token invalid');
  }
  if (payload.mid !== meetingId) throw new JoinTokenError('TOKEN_INVALID', 'join token is for another meeting');
  if (!isDisplayName(payload.name)) throw new JoinTokenError('TOKEN_INVALID', 'join token carries no valid name');
  return { meetingId, displayName: payload.name, tokenId: String(payload.jti), expiresAt: payload.exp! * 1000 };
}
