/**
 * The sign-in rule: from a checked ID token's claims to an account and a session stage.
 *
 * - The account is the one linked to (issuer, sub); nothing else identifies it.
 * - None linked: with `auth.oidc.autoCreate.groups` set and the person in one of them (claim
 *   `auth.oidc.groupsClaim`), an SSO-only staff account is made and linked; else SSO_NO_ACCOUNT.
 * - A disabled account is refused (SSO_ACCOUNT_DISABLED).
 * - The session starts `verified` only when the token asserts multi-factor authentication (its
 *   `acr` is one of `mfaAcrValues`, or its `amr` holds one of `mfaAmrValues`); otherwise it
 *   goes on exactly as after a password: the local second factor, or its enrolment, comes next.
 */
import type { Audit } from '../audit/audit.ts';
import type { Account, AccountStore } from '../auth/accounts.ts';
import type { RequestMeta } from '../auth/service.ts';
import type { Session, SessionStore } from '../auth/sessions.ts';
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/db.ts';
import { baseUsername, displayNameOf, uniqueUsername } from './accounts.ts';
import type { IdentityStore } from './identities.ts';
import { SsoRefusal } from './refusal.ts';

/** The claims of an ID token openid-client has checked (signature, iss, aud, exp, nonce). */
export interface IdClaims {
  iss: string;
  sub: string;
  [claim: string]: unknown;
}

export interface SignInRules {
  oidc: Pick<Config['auth']['oidc'], 'groupsClaim' | 'autoCreate' | 'mfaAcrValues' | 'mfaAmrValues'>;
  requireTotp: boolean;
}

export interface SignedIn {
  id: string;
  session: Session;
  account: Account;
  /** The account was made by this sign-in. */
  created: boolean;
  /** The token asserted multi-factor authentication: no local second factor. */
  mfa: boolean;
}

/** The provider asserted multi-factor authentication, by the configured `acr` or `amr` values. */
export function assertsMfa(claims: IdClaims, rules: SignInRules['oidc']): boolean {
  const acr = claims['acr'];
  const amr = claims['amr'];
  if (typeof acr === 'string' && rules.mfaAcrValues.includes(acr)) return true;
  return Array.isArray(amr) && amr.some((method) => typeof method === 'string' && rules.mfaAmrValues.includes(method));
}

/** The groups the token lists the person in (a list of strings, or one string). */
export function groupsOf(claims: IdClaims, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

export interface SignInDeps {
  rules: SignInRules;
  db: Db;
  accounts: AccountStore;
  identities: IdentityStore;
  sessions: SessionStore;
  audit: Audit;
}

export class SsoSignIn {
  readonly #d: SignInDeps;

  constructor(deps: SignInDeps) {
    this.#d = deps;
  }

  signIn(claims: IdClaims, meta: RequestMeta): SignedIn {
    const { rules, accounts, identities, sessions } = this.#d;
    const who = { detail: { issuer: claims.iss, sub: claims.sub } };
    const { account, created } = this.#linkedAccount(claims) ?? this.#autoCreate(claims) ?? {};
    if (!account) throw new SsoRefusal('SSO_NO_ACCOUNT', 'no-linked-account', 'no account here is linked to this identity', who);
    if (account.disabled) throw new SsoRefusal('SSO_ACCOUNT_DISABLED', 'disabled', 'this account is disabled', { ...who, actor: account.id });

    const mfa = assertsMfa(claims, rules.oidc);
    const needsSecondFactor = !mfa && (account.totpSecret !== null || rules.requireTotp);
    const { id, session } = sessions.create(account.id, needsSecondFactor ? 'password' : 'verified', meta);
    if (!needsSecondFactor) accounts.recordLogin(account.id);
    identities.touch(claims.iss, claims.sub);
    return { id, session, account, created: created ?? false, mfa };
  }

  #linkedAccount(claims: IdClaims): { account: Account; created: false } | undefined {
    const identity = this.#d.identities.find(claims.iss, claims.sub);
    const account = identity && this.#d.accounts.byId(identity.userId);
    return account && { account, created: false };
  }

  /** An SSO-only staff account for someone in one of the auto-creation groups; undefined for anyone else. */
  #autoCreate(claims: IdClaims): { account: Account; created: boolean } | undefined {
    const { rules, db, accounts, identities, audit } = this.#d;
    const allowed = rules.oidc.autoCreate.groups;
    const groups = groupsOf(claims, rules.oidc.groupsClaim);
    if (allowed.length === 0 || !groups.some((g) => allowed.includes(g))) return undefined;
    // One transaction: two first sign-ins of one person at once make one account.
    const made = db
      .transaction((): { account: Account | undefined; created: boolean } => {
        const linked = identities.find(claims.iss, claims.sub);
        if (linked) return { account: accounts.byId(linked.userId), created: false };
        const username = uniqueUsername(baseUsername(claims), (name) => accounts.byUsername(name) !== undefined);
        const account = accounts.createSsoOnly({ username, displayName: displayNameOf(claims['name'], username), role: 'staff' });
        identities.link(account.id, claims.iss, claims.sub);
        return { account, created: true };
      })
      .immediate();
    const { account } = made;
    if (!account || !made.created) return account && { account, created: false };
    audit({
      action: 'account.created',
      outcome: 'ok',
      actor: 'sso',
      detail: { user: account.id, username: account.username, role: account.role, ssoOnly: true, issuer: claims.iss, sub: claims.sub },
    });
    return { account, created: true };
  }
}
