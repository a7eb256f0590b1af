/**
 * Accounts made at a first sign-in (auto-creation, docs/sso.md): a username and display name
 * from the provider's claims, made valid for this server and unique.
 */
import { createHash } from 'node:crypto';
import { DisplayName } from '../../protocol/ids.ts';
import { USERNAME_PATTERN } from '../auth/bootstrap.ts';
import { compile } from '../validation.ts';

const isDisplayName = compile(DisplayName);
/** Room left at the end of a name for "-2" … "-999". */
const BASE_MAX = 60;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/**
 * The name the account would like: `preferred_username`, else the e-mail address, without a
 * domain, folded to a-z 0-9 . _ - (accents dropped: "José.Núñez@…" → "jose.nunez"). A name with
 * too little left of it becomes `sso-` and a hash of the identity.
 */
export function baseUsername(claims: { preferred_username?: unknown; email?: unknown; iss: string; sub: string }): string {
  const raw = text(claims.preferred_username) ?? text(claims.email) ?? '';
  const folded = raw
    .split('@')[0]!
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '.')
    .replace(/[._-]{2,}/g, (run) => run[0]!)
    .slice(0, BASE_MAX)
    .replace(/^[._-]+|[._-]+$/g, '');
  if (USERNAME_PATTERN.test(folded)) return folded;
  return `sso-${createHash('sha256').update(`${claims.iss}\n${claims.sub}`).digest('hex').slice(0, 10)}`;
}

/** The base name, or the first of base-2, base-3 … that nobody has. */
export function uniqueUsername(base: string, taken: (username: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; n < 1000; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
  throw new Error(`no free username like ${base}`);
}

/** `name` made a valid display name (controls and format characters dropped, 64 characters), else the username. */
export function displayNameOf(name: unknown, username: string): string {
  const cleaned = (typeof name === 'string' ? name : '')
    .replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = [...cleaned].slice(0, 64).join('').trim();
  return isDisplayName(cut) ? cut : username;
}
