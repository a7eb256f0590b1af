/**
 * What `recinto user` does about single sign-on (docs/sso.md): link an account to an identity
 * at the provider (issuer + `sub`, as the provider shows it: Keycloak's user id, Entra ID's
 * object id claim `sub`…), remove that link, and add an account that signs in only through the
 * provider. Each is audited with the admin's name as actor.
 */
import type { Audit } from '../audit/audit.ts';
import type { AccountStore, Role } from '../auth/accounts.ts';
import { checkNewAccount } from '../auth/bootstrap.ts';
import { DomainError } from '../errors.ts';
import { issuerKey, type IdentityStore } from './identities.ts';

export interface SsoCommandDeps {
  accounts: AccountStore;
  identities: IdentityStore;
  audit: Audit;
  /** `auth.oidc.issuer` unless the command names another. */
  issuer: string;
  actor: string;
}

/** OpenID Connect Core 2: `sub` is at most 255 ASCII characters. */
function checkSubject(sub: string): void {
  if (!/^[!-~]{1,255}$/.test(sub))
    throw new DomainError('INVALID_BODY', '--sso-sub: the identity’s sub as the provider sends it (1–255 visible ASCII characters)');
}

function checkIssuer(issuer: string): string {
  if (!/^https:\/\/[^\s?#]+$/.test(issuer)) throw new DomainError('INVALID_BODY', 'issuer: set auth.oidc.issuer (https://…) or pass --issuer');
  return issuerKey(issuer);
}

export function linkSso(deps: SsoCommandDeps, username: string, sub: string): void {
  const issuer = checkIssuer(deps.issuer);
  checkSubject(sub);
  const account = deps.accounts.byUsername(username);
  if (!account) throw new DomainError('NOT_FOUND', `no user ${JSON.stringify(username)} (see: recinto user list)`);
  deps.identities.link(account.id, issuer, sub);
  deps.audit({ action: 'account.sso_linked', outcome: 'ok', actor: deps.actor, detail: { user: account.id, issuer, sub } });
}

export function unlinkSso(deps: SsoCommandDeps, username: string): void {
  const issuer = checkIssuer(deps.issuer);
  const account = deps.accounts.byUsername(username);
  if (!account) throw new DomainError('NOT_FOUND', `no user ${JSON.stringify(username)} (see: recinto user list)`);
  if (!deps.identities.unlink(account.id, issuer)) throw new DomainError('NOT_FOUND', `${username} is not linked to an identity at ${issuer}`);
  deps.audit({ action: 'account.sso_unlinked', outcome: 'ok', actor: deps.actor, detail: { user: account.id, issuer } });
}

/** An account without a password, linked to `sub`: it signs in through the provider only. */
export function addSsoOnlyAccount(deps: SsoCommandDeps, input: { username: string; displayName: string; role: Role; sub: string }): void {
  const issuer = checkIssuer(deps.issuer);
  checkSubject(input.sub);
  checkNewAccount(deps.accounts, input.username, input.displayName);
  if (deps.identities.find(issuer, input.sub)) throw new DomainError('CONFLICT', 'this identity is linked to another account');
  const account = deps.accounts.createSsoOnly(input);
  deps.identities.link(account.id, issuer, input.sub);
  deps.audit({
    action: 'account.created',
    outcome: 'ok',
    actor: deps.actor,
    detail: { user: account.id, username: account.username, role: account.role, ssoOnly: true, issuer, sub: input.sub },
  });
}
