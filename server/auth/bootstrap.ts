/**
 * Account set-up shared by the server's first start and the `recinto user` commands: creating
 * an account with a one-time random password that must be changed at first sign-in.
 */
import { randomInt } from 'node:crypto';
import type { Audit } from '../audit/audit.ts';
import { DomainError } from '../errors.ts';
import type { AccountStore, Role } from './accounts.ts';
import type { PasswordHasher } from './passwords.ts';
import { DisplayName } from '../../protocol/ids.ts';
import { compile } from '../validation.ts';

const isDisplayName = compile(DisplayName);

/** Letters and digits without look-alikes; 20 of them ≈ 110 bits. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$/;

export function oneTimePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export async function createAccount(
  deps: { accounts: AccountStore; hasher: PasswordHasher; audit: Audit },
  input: { username: string; displayName: string; role: Role; actor: string; via?: 'console' | 'cli' },
): Promise<{ id: string; password: string }> {
  if (!USERNAME_PATTERN.test(input.username)) {
    throw new DomainError('INVALID_BODY', 'username: 3–64 of a-z 0-9 . _ - (lowercase, starting and ending with a letter or digit)');
  }
  if (!isDisplayName(input.displayName)) throw new DomainError('INVALID_BODY', 'name: 1–64 printable characters, no leading or trailing space');
  if (deps.accounts.byUsername(input.username)) throw new DomainError('INVALID_BODY', `username ${input.username} is taken`);
  const password = oneTimePassword();
  const account = deps.accounts.create({
    username: input.username,
    displayName: input.displayName,
    role: input.role,
    passwordHash: await deps.hasher.hash(password),
    mustChangePassword: true,
  });
  deps.audit({
    action: 'account.created',
    outcome: 'ok',
    actor: input.actor,
    detail: { user: account.id, username: input.username, role: input.role, ...(input.via ? { via: input.via } : {}) },
  });
  return { id: account.id, password };
}

/**
 * On the first start with no accounts: an admin named "admin" with a one-time password. The
 * caller prints the password once to the console; it is never logged.
 */
export async function ensureFirstAdmin(deps: {
  accounts: AccountStore;
  hasher: PasswordHasher;
  audit: Audit;
}): Promise<{ username: string; password: string } | undefined> {
  if (deps.accounts.count() > 0) return undefined;
  const { password } = await createAccount(deps, { username: 'admin', displayName: 'Administrador', role: 'admin', actor: 'first-start' });
  return { username: 'admin', password };
}
