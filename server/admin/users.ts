/**
 * Administering accounts, one service for the admin console and `recinto user …` alike: create
 * (a one-time password, shown once), disable, enable, reset 2FA, reset the password, end the
 * sessions, change the role; search. Each action is audited with the administrator as actor and
 * `via` saying where it came from; refusals of its rules too. Rules: nobody may disable or demote
 * the last enabled administrator, and an administrator at the console may not disable or demote
 * themselves.
 */
import type { Audit } from '../audit/audit.ts';
import type { Account, AccountStore, Role } from '../auth/accounts.ts';
import { createAccount, oneTimePassword } from '../auth/bootstrap.ts';
import { HasherBusyError, type PasswordHasher } from '../auth/passwords.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { DomainError } from '../errors.ts';
import type { AdminUser, AdminUserPage, CreateUserBody, UserActionView, UserWithPassword } from '../../protocol/admin.ts';

/** Who acts: an account id (console) or `cli:<login>` (the shell), and through what. */
export interface AdminActor {
  actor: string;
  via: 'console' | 'cli';
}

export interface UserAdministrationDeps {
  accounts: AccountStore;
  sessions: SessionStore;
  hasher: PasswordHasher;
  audit: Audit;
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

export class UserAdministration {
  readonly #d: UserAdministrationDeps;

  constructor(deps: UserAdministrationDeps) {
    this.#d = deps;
  }

  view(account: Account): AdminUser {
    return {
      id: account.id,
      username: account.username,
      displayName: account.displayName,
      role: account.role,
      disabled: account.disabled,
      totp: account.totpSecret !== null,
      mustChangePassword: account.mustChangePassword,
      createdAt: account.createdAt,
      lastLoginAt: account.lastLoginAt,
      sessions: this.#d.sessions.liveCount(account.id),
    };
  }

  search(text: string | undefined, page: { offset?: number; limit?: number } = {}): AdminUserPage {
    const limit = Math.min(Math.max(page.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const { accounts, total } = this.#d.accounts.search(text, { offset: page.offset ?? 0, limit });
    return { users: accounts.map((a) => this.view(a)), total };
  }

  /** By username, for the shell. */
  byUsername(username: string): Account {
    const account = this.#d.accounts.byUsername(username);
    if (!account) throw new DomainError('NOT_FOUND', `no user ${JSON.stringify(username)} (see: recinto user list)`);
    return account;
  }

  async create(input: CreateUserBody, by: AdminActor): Promise<UserWithPassword> {
    const { id, password } = await this.#hashing(() => createAccount(this.#d, { ...input, actor: by.actor, via: by.via }));
    return { user: this.view(this.#account(id)), oneTimePassword: password };
  }

  /** Disabling ends every session of the account (its signalling connections close). */
  setDisabled(userId: string, disabled: boolean, by: AdminActor): UserActionView {
    const action = disabled ? 'account.disabled' : 'account.enabled';
    const account = this.#account(userId);
    if (disabled) this.#keepAnAdmin(account, action, by);
    this.#d.accounts.setDisabled(account.id, disabled);
    const sessionsEnded = disabled ? this.#d.sessions.endAllForUser(account.id) : 0;
    this.#d.audit({ action, outcome: 'ok', actor: by.actor, detail: { user: account.id, sessionsEnded, via: by.via } });
    return { user: this.view(this.#account(account.id)), sessionsEnded };
  }

  /** Removes 2FA and the recovery codes, and ends the sessions: set up again at the next sign-in. */
  resetTotp(userId: string, by: AdminActor): UserActionView {
    const account = this.#account(userId);
    this.#d.accounts.resetTotp(account.id);
    const sessionsEnded = this.#d.sessions.endAllForUser(account.id);
    this.#d.audit({ action: 'auth.totp_reset', outcome: 'ok', actor: by.actor, detail: { user: account.id, sessionsEnded, via: by.via } });
    return { user: this.view(this.#account(account.id)), sessionsEnded };
  }

  /** A new one-time password (to be changed at the next sign-in); the sessions end. */
  async resetPassword(userId: string, by: AdminActor): Promise<UserWithPassword> {
    const account = this.#account(userId);
    const password = oneTimePassword();
    this.#d.accounts.setPassword(account.id, await this.#hashing(() => this.#d.hasher.hash(password)), true);
    const sessionsEnded = this.#d.sessions.endAllForUser(account.id);
    this.#d.audit({ action: 'auth.password_reset', outcome: 'ok', actor: by.actor, detail: { user: account.id, sessionsEnded, via: by.via } });
    return { user: this.view(this.#account(account.id)), oneTimePassword: password };
  }

  endSessions(userId: string, by: AdminActor): UserActionView {
    const account = this.#account(userId);
    const ended = this.#d.sessions.endAllForUser(account.id);
    this.#d.audit({ action: 'auth.sessions_revoked', outcome: 'ok', actor: by.actor, detail: { by: 'admin', user: account.id, ended, via: by.via } });
    return { user: this.view(this.#account(account.id)), sessionsEnded: ended };
  }

  setRole(userId: string, role: Role, by: AdminActor): UserActionView {
    const account = this.#account(userId);
    if (role !== 'admin') this.#keepAnAdmin(account, 'account.role_changed', by);
    this.#d.accounts.setRole(account.id, role);
    this.#d.audit({
      action: 'account.role_changed',
      outcome: 'ok',
      actor: by.actor,
      detail: { user: account.id, before: account.role, after: role, via: by.via },
    });
    return { user: this.view(this.#account(account.id)), sessionsEnded: 0 };
  }

  #account(userId: string): Account {
    const account = this.#d.accounts.byId(userId);
    if (!account) throw new DomainError('NOT_FOUND', 'no such user');
    return account;
  }

  /** Before disabling or demoting `account`: never the last enabled administrator, never oneself at the console. */
  #keepAnAdmin(account: Account, action: string, by: AdminActor): void {
    const refuse = (code: 'LAST_ADMIN' | 'OWN_ACCOUNT', message: string): never => {
      this.#d.audit({ action, outcome: 'denied', actor: by.actor, detail: { user: account.id, code, via: by.via } });
      throw new DomainError(code, message);
    };
    if (by.via === 'console' && account.id === by.actor) refuse('OWN_ACCOUNT', 'you cannot disable or demote your own account; another administrator can');
    if (account.role === 'admin' && !account.disabled && this.#d.accounts.enabledAdmins() <= 1) {
      refuse('LAST_ADMIN', `${account.username} is the last enabled administrator: make another account admin first`);
    }
  }

  /** Password hashing is bounded; when saturated the caller gets BUSY instead of waiting forever. */
  async #hashing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HasherBusyError) throw new DomainError('BUSY', 'the server is busy; try again in a moment', { retryAfterSeconds: 2 });
      throw error;
    }
  }
}
