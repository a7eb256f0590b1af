/**
 * The sign-in rules: password step (argon2id, lockout, same answer for unknown names), second
 * factor (TOTP once per code, or a single-use recovery code), TOTP enrolment, password change,
 * recovery-code regeneration. Every failure, lockout, 2FA change and revocation is audited.
 * Refusals are DomainErrors (codes from protocol/errors.ts); HTTP concerns (cookies, CSRF,
 * statuses) stay at the edge: routes.ts and server/http/status.ts.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import QRCode from 'qrcode';
import type { Audit } from '../audit/audit.ts';
import type { Config } from '../config/schema.ts';
import { DomainError } from '../errors.ts';
import type { Account, AccountStore } from './accounts.ts';
import { lockAfterFailures, UnknownNameLockout, type LockoutPolicy } from './lockout.ts';
import { HasherBusyError, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordPolicy, type PasswordHasher } from './passwords.ts';
import { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode } from './recovery-codes.ts';
import { open, seal } from './secret-box.ts';
import type { Session, SessionStore } from './sessions.ts';
import { generateTotpSecret, totpUri, verifyTotp } from './totp.ts';

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

/** What the client should show next after a sign-in step. */
export type NextStep = 'second-factor' | 'enrol' | 'change-password' | null;

export interface AuthDeps {
  config: Config['auth'];
  accounts: AccountStore;
  sessions: SessionStore;
  hasher: PasswordHasher;
  secretKey: Buffer;
  audit: Audit;
}

export class AuthService {
  readonly #d: AuthDeps;
  readonly #lockout: LockoutPolicy;
  readonly #unknown: UnknownNameLockout;
  /** Keys the hash that stands in the audit log for names without an account. */
  readonly #auditNameKey: Buffer;

  constructor(deps: AuthDeps) {
    this.#d = deps;
    this.#auditNameKey = Buffer.from(hkdfSync('sha256', deps.secretKey, Buffer.alloc(0), 'recinto audit-username', 32));
    this.#lockout = { failures: deps.config.lockoutFailures, seconds: deps.config.lockoutSeconds };
    this.#unknown = new UnknownNameLockout(this.#lockout);
  }

  get accounts(): AccountStore {
    return this.#d.accounts;
  }

  get sessions(): SessionStore {
    return this.#d.sessions;
  }

  /** The step a session must complete before it may use meetings; null when it may. */
  nextStep(session: Session, account: Account): NextStep {
    if (session.stage === 'password') return account.totpSecret ? 'second-factor' : 'enrol';
    return account.mustChangePassword ? 'change-password' : null;
  }

  // --- first factor -------------------------------------------------------------------------

  async signInWithPassword(username: string, password: string, meta: RequestMeta): Promise<{ id: string; session: Session; account: Account }> {
    const { accounts, audit } = this.#d;
    const found = accounts.byUsername(username);
    this.#assertSignInOpen(found, username, Date.now(), meta);
    const check = await this.#hashing(() => (found ? this.#d.hasher.verify(found.passwordHash, password) : this.#d.hasher.verifyDummy(password)));
    // Parallel attempts all passed the check above before any of them had failed: one that ends
    // after another has set a lock is refused whatever its verdict, so a burst of guesses gets no
    // more of them judged than a sequence would.
    const account = found && accounts.byId(found.id);
    const now = Date.now();
    this.#assertSignInOpen(account, username, now, meta);
    if (!account || !check.ok || account.disabled) {
      const reason = !account ? 'unknown-user' : !check.ok ? 'wrong-password' : 'disabled';
      if (account) this.#failed(account, 'auth.login', reason, meta);
      else {
        this.#unknown.recordFailure(username, now);
        audit({ action: 'auth.login', outcome: 'denied', detail: { reason, usernameHash: this.#usernameHash(username), ip: meta.ip } });
      }
      throw new DomainError('INVALID_CREDENTIALS', 'wrong username or password');
    }
    if (check.needsRehash) {
      accounts.setPassword(account.id, await this.#hashing(() => this.#d.hasher.hash(password)), account.mustChangePassword);
      audit({ action: 'auth.password_rehashed', outcome: 'ok', actor: account.id });
    }

    const needsSecondFactor = account.totpSecret !== null || this.#d.config.requireTotp;
    const created = this.#d.sessions.create(account.id, needsSecondFactor ? 'password' : 'verified', meta);
    if (!needsSecondFactor) accounts.recordLogin(account.id);
    audit({ action: 'auth.login', outcome: 'ok', actor: account.id, detail: { stage: created.session.stage, ip: meta.ip } });
    return { ...created, account };
  }

  // --- second factor ------------------------------------------------------------------------

  async secondFactor(session: Session, input: { code?: string; recoveryCode?: string }, meta: RequestMeta): Promise<{ id: string; session: Session }> {
    const account = this.#accountOf(session);
    if (session.stage !== 'password' || !account.totpSecret) throw new DomainError('WRONG_STEP', 'no second factor is expected now');
    const now = Date.now();
    this.#assertNotLocked(account, now, 'auth.second_factor', meta);

    if (input.recoveryCode !== undefined) {
      const hashes = this.#d.accounts.unusedRecoveryCodes(account.id);
      const index = matchRecoveryCode(input.recoveryCode, hashes);
      if (index < 0 || !this.#d.accounts.useRecoveryCode(account.id, hashes[index]!)) {
        this.#failed(account, 'auth.second_factor', 'wrong-recovery-code', meta);
        throw new DomainError('INVALID_CODE', 'wrong or used recovery code');
      }
      this.#d.audit({ action: 'auth.recovery_code_used', outcome: 'ok', actor: account.id, detail: { left: hashes.length - 1 } });
    } else {
      this.#checkTotp(account, account.totpSecret, input.code ?? '', now, 'auth.second_factor', meta);
    }
    this.#d.accounts.recordLogin(account.id);
    const rotated = this.#d.sessions.rotate(session, 'verified', meta);
    this.#d.audit({
      action: 'auth.second_factor',
      outcome: 'ok',
      actor: account.id,
      detail: { method: input.recoveryCode !== undefined ? 'recovery-code' : 'totp', ip: meta.ip },
    });
    return rotated;
  }

  // --- step-up -----------------------------------------------------------------------------

  /**
   * A fresh TOTP code from a verified session's account (the admin console's step-up before a
   * sensitive action), checked as the second factor is: each code once (its step is claimed, so
   * the sign-in's code cannot serve again), failures counted towards the lockout, all audited
   * under `action`.
   */
  confirmFreshCode(session: Session, code: string, action: string, meta: RequestMeta): void {
    const account = this.#accountOf(session);
    if (session.stage !== 'verified' || !account.totpSecret) throw new DomainError('WRONG_STEP', 'set up two-factor authentication first');
    const now = Date.now();
    this.#assertNotLocked(account, now, action, meta);
    this.#checkTotp(account, account.totpSecret, code, now, action, meta);
    this.#d.audit({ action, outcome: 'ok', actor: account.id, detail: { ip: meta.ip } });
  }

  // --- enrolment ----------------------------------------------------------------------------

  /** A new pending TOTP secret for an account without one; shown once as QR code and text. */
  async startEnrolment(session: Session): Promise<{ secret: string; uri: string; qrSvg: string }> {
    const account = this.#accountOf(session);
    if (account.totpSecret) throw new DomainError('WRONG_STEP', 'two-factor authentication is set up already');
    const secret = generateTotpSecret();
    this.#d.accounts.setPendingTotp(account.id, seal(this.#d.secretKey, secret, account.id));
    const uri = totpUri({ secret, account: account.username, issuer: this.#d.config.institution });
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    this.#d.audit({ action: 'auth.totp_enrolment_started', outcome: 'ok', actor: account.id });
    return { secret, uri, qrSvg };
  }

  /** Completes enrolment with a valid code; returns ten recovery codes (shown once). */
  confirmEnrolment(session: Session, code: string, meta: RequestMeta): { id: string; session: Session; recoveryCodes: string[] } {
    const account = this.#accountOf(session);
    if (account.totpSecret || !account.totpPendingSecret) throw new DomainError('WRONG_STEP', 'start the enrolment first');
    this.#assertNotLocked(account, Date.now(), 'auth.totp_enrolment', meta);
    const secret = open(this.#d.secretKey, account.totpPendingSecret, account.id);
    const result = verifyTotp({ secret, code });
    if (!result.ok) {
      this.#failed(account, 'auth.totp_enrolment', 'wrong-code', meta);
      throw new DomainError('INVALID_CODE', 'wrong code; check the time on your phone');
    }
    const recoveryCodes = generateRecoveryCodes();
    this.#d.accounts.activateTotp(account.id, account.totpPendingSecret, result.step);
    this.#d.accounts.replaceRecoveryCodes(account.id, recoveryCodes.map(hashRecoveryCode));
    this.#d.accounts.recordLogin(account.id);
    const rotated = this.#d.sessions.rotate(session, 'verified', meta);
    this.#d.audit({ action: 'auth.totp_enrolled', outcome: 'ok', actor: account.id, detail: { ip: meta.ip } });
    return { ...rotated, recoveryCodes };
  }

  regenerateRecoveryCodes(session: Session): string[] {
    const account = this.#accountOf(session);
    if (session.stage !== 'verified' || !account.totpSecret) throw new DomainError('WRONG_STEP', 'set up two-factor authentication first');
    const codes = generateRecoveryCodes();
    this.#d.accounts.replaceRecoveryCodes(account.id, codes.map(hashRecoveryCode));
    this.#d.audit({ action: 'auth.recovery_codes_regenerated', outcome: 'ok', actor: account.id });
    return codes;
  }

  // --- password -----------------------------------------------------------------------------

  /** Changes the password (current one required) and signs out every other session. */
  async changePassword(session: Session, current: string, next: string, meta: RequestMeta): Promise<void> {
    const before = this.#accountOf(session);
    this.#assertNotLocked(before, Date.now(), 'auth.password_change', meta);
    const violation = passwordPolicy(next);
    if (violation)
      throw new DomainError(
        'WEAK_PASSWORD',
        violation === 'TOO_SHORT' ? `at least ${PASSWORD_MIN_LENGTH} characters` : `at most ${PASSWORD_MAX_LENGTH} characters`,
      );
    const check = await this.#hashing(() => this.#d.hasher.verify(before.passwordHash, current));
    // As for sign-in: a lock set by a parallel request while this one was hashing applies to it.
    const account = this.#accountOf(session);
    this.#assertNotLocked(account, Date.now(), 'auth.password_change', meta);
    if (!check.ok) {
      this.#failed(account, 'auth.password_change', 'wrong-password', meta);
      throw new DomainError('INVALID_CREDENTIALS', 'the current password is wrong');
    }
    if (current === next) throw new DomainError('WEAK_PASSWORD', 'choose a new password');
    this.#d.accounts.setPassword(account.id, await this.#hashing(() => this.#d.hasher.hash(next)), false);
    const ended = this.#d.sessions.endAllForUser(account.id, session.idHash);
    this.#d.audit({ action: 'auth.password_changed', outcome: 'ok', actor: account.id, detail: { otherSessionsEnded: ended } });
  }

  // --- sessions -----------------------------------------------------------------------------

  logout(session: Session): void {
    this.#d.sessions.end([session.idHash]);
    this.#d.audit({ action: 'auth.logout', outcome: 'ok', actor: session.userId });
  }

  /** "Sign out everywhere" (by the user) or an admin's revocation of a user's sessions. */
  endAllSessions(userId: string, by: { actor: string; role: 'self' | 'admin' }): number {
    if (!this.#d.accounts.byId(userId)) throw new DomainError('NOT_FOUND', 'no such user');
    const ended = this.#d.sessions.endAllForUser(userId);
    this.#d.audit({ action: 'auth.sessions_revoked', outcome: 'ok', actor: by.actor, detail: { by: by.role, user: userId, ended } });
    return ended;
  }

  /** Ends one of the user's own sessions (from the account page). */
  endOwnSession(userId: string, idHash: string): void {
    if (!this.#d.sessions.forUser(userId).some((s) => s.idHash === idHash)) throw new DomainError('NOT_FOUND', 'no such session');
    this.#d.sessions.end([idHash]);
    this.#d.audit({ action: 'auth.sessions_revoked', outcome: 'ok', actor: userId, detail: { by: 'self', user: userId, ended: 1 } });
  }

  // --- helpers ------------------------------------------------------------------------------

  /** A TOTP code of the account's active secret, newer than the last one used (claimed here), or a counted failure. */
  #checkTotp(account: Account, sealedSecret: string, code: string, now: number, action: string, meta: RequestMeta): void {
    const secret = open(this.#d.secretKey, sealedSecret, account.id);
    const result = verifyTotp({
      secret,
      code,
      now: Math.floor(now / 1000),
      ...(account.totpLastStep !== null ? { lastUsedStep: account.totpLastStep } : {}),
    });
    if (!result.ok || !this.#d.accounts.claimTotpStep(account.id, result.step)) {
      const replayed = result.ok || result.reason === 'REPLAYED';
      this.#failed(account, action, replayed ? 'replayed-code' : 'wrong-code', meta);
      throw replayed
        ? new DomainError('CODE_ALREADY_USED', 'this code was used already; wait for the next one')
        : new DomainError('INVALID_CODE', 'wrong code');
    }
  }

  #accountOf(session: Session): Account {
    const account = this.#d.accounts.byId(session.userId);
    if (!account || account.disabled) {
      this.#d.sessions.end([session.idHash]);
      throw new DomainError('NOT_SIGNED_IN', 'signed out');
    }
    return account;
  }

  /**
   * Every step that checks a credential (password, TOTP or recovery code) calls this before
   * judging it, and again after hashing when it awaited one: a locked account gets TOO_MANY_ATTEMPTS
   * whichever step is tried.
   */
  #assertNotLocked(account: Account, now: number, action: string, meta: RequestMeta): void {
    if (account.lockedUntil === null || account.lockedUntil <= now) return;
    this.#d.audit({ action, outcome: 'denied', actor: account.id, detail: { reason: 'locked', username: account.username, ip: meta.ip } });
    throw tooManyAttempts(account.lockedUntil, now);
  }

  /** The lock check of the password step, for names with an account and without one alike. */
  #assertSignInOpen(account: Account | undefined, username: string, now: number, meta: RequestMeta): void {
    if (account) return this.#assertNotLocked(account, now, 'auth.login', meta);
    const lockedUntil = this.#unknown.lockedUntil(username, now);
    if (lockedUntil === null) return;
    this.#d.audit({ action: 'auth.login', outcome: 'denied', detail: { reason: 'locked', usernameHash: this.#usernameHash(username), ip: meta.ip } });
    throw tooManyAttempts(lockedUntil, now);
  }

  /**
   * Counts a failed step and decides the lock from the count the store returns (incremented and
   * read in one transaction), never from the account as read before the check: concurrent
   * failures each see their own count.
   */
  #failed(account: Account, action: string, reason: string, meta: RequestMeta): void {
    const counted = this.#d.accounts.recordFailure(account.id, (failures) => lockAfterFailures(this.#lockout, failures));
    this.#d.audit({ action, outcome: 'denied', actor: account.id, detail: { reason, ip: meta.ip } });
    if (counted?.lockedUntil)
      this.#d.audit({ action: 'auth.lockout', outcome: 'denied', actor: account.id, detail: { until: new Date(counted.lockedUntil).toISOString() } });
  }

  /**
   * What the audit log keeps of a name that matches no account: a person who typed a password
   * into the username field must not leave it there in clear. A keyed hash (HMAC-SHA-256 under a
   * key derived from the server's secret key, 132 bits kept) still lets an auditor see repeated
   * attempts on one name, case folded as the lockout folds it, without a dictionary of names
   * being enough to read it back from a copy of the database.
   */
  #usernameHash(username: string): string {
    return createHmac('sha256', this.#auditNameKey).update(username.toLowerCase(), 'utf8').digest('base64url').slice(0, 22);
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

function tooManyAttempts(lockedUntil: number, now: number): DomainError {
  return new DomainError('TOO_MANY_ATTEMPTS', 'too many failed attempts; try again later', { retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000) });
}
