/**
 * The sign-in rules: password step (argon2id, lockout, same answer for unknown names), second
 * factor (TOTP once per code, or a single-use recovery code), TOTP enrolment, password change,
 * recovery-code regeneration. Every failure, lockout, 2FA change and revocation is audited.
 * HTTP concerns (cookies, CSRF, status codes) stay in routes.ts.
 */
import QRCode from 'qrcode';
import type { Audit } from '../audit/audit.ts';
import type { Config } from '../config/schema.ts';
import { HttpError } from '../http/errors.ts';
import type { Account, AccountStore } from './accounts.ts';
import { lockAfterFailure, UnknownNameLockout, type LockoutPolicy } from './lockout.ts';
import { HasherBusyError, passwordPolicy, type PasswordHasher } from './passwords.ts';
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

  constructor(deps: AuthDeps) {
    this.#d = deps;
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
    const account = accounts.byUsername(username);
    const now = Date.now();
    const lockedUntil = account ? (account.lockedUntil && account.lockedUntil > now ? account.lockedUntil : null) : this.#unknown.lockedUntil(username, now);
    if (lockedUntil) {
      audit({ action: 'auth.login', outcome: 'denied', actor: account?.id, detail: { reason: 'locked', username, ip: meta.ip } });
      throw tooManyAttempts(lockedUntil, now);
    }

    const check = await this.#hashing(() => (account ? this.#d.hasher.verify(account.passwordHash, password) : this.#d.hasher.verifyDummy(password)));
    if (!account || !check.ok || account.disabled) {
      const reason = !account ? 'unknown-user' : !check.ok ? 'wrong-password' : 'disabled';
      if (account) this.#failed(account, 'auth.login', reason, meta);
      else {
        this.#unknown.recordFailure(username, now);
        audit({ action: 'auth.login', outcome: 'denied', detail: { reason, username, ip: meta.ip } });
      }
      throw new HttpError(401, 'INVALID_CREDENTIALS', 'wrong username or password');
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
    if (session.stage !== 'password' || !account.totpSecret) throw new HttpError(409, 'WRONG_STEP', 'no second factor is expected now');
    const now = Date.now();
    if (account.lockedUntil && account.lockedUntil > now) throw tooManyAttempts(account.lockedUntil, now);

    if (input.recoveryCode !== undefined) {
      const hashes = this.#d.accounts.unusedRecoveryCodes(account.id);
      const index = matchRecoveryCode(input.recoveryCode, hashes);
      if (index < 0 || !this.#d.accounts.useRecoveryCode(account.id, hashes[index]!)) {
        this.#failed(account, 'auth.second_factor', 'wrong-recovery-code', meta);
        throw new HttpError(401, 'INVALID_CODE', 'wrong or used recovery code');
      }
      this.#d.audit({ action: 'auth.recovery_code_used', outcome: 'ok', actor: account.id, detail: { left: hashes.length - 1 } });
    } else {
      const secret = open(this.#d.secretKey, account.totpSecret, account.id);
      const result = verifyTotp({ secret, code: input.code ?? '', now: Math.floor(now / 1000), ...(account.totpLastStep !== null ? { lastUsedStep: account.totpLastStep } : {}) });
      if (!result.ok || !this.#d.accounts.claimTotpStep(account.id, result.step)) {
        const replayed = result.ok || result.reason === 'REPLAYED';
        this.#failed(account, 'auth.second_factor', replayed ? 'replayed-code' : 'wrong-code', meta);
        throw replayed ? new HttpError(401, 'CODE_ALREADY_USED', 'this code was used already; wait for the next one') : new HttpError(401, 'INVALID_CODE', 'wrong code');
      }
    }
    this.#d.accounts.recordLogin(account.id);
    const rotated = this.#d.sessions.rotate(session, 'verified', meta);
    this.#d.audit({ action: 'auth.second_factor', outcome: 'ok', actor: account.id, detail: { method: input.recoveryCode !== undefined ? 'recovery-code' : 'totp', ip: meta.ip } });
    return rotated;
  }

  // --- enrolment ----------------------------------------------------------------------------

  /** A new pending TOTP secret for an account without one; shown once as QR code and text. */
  async startEnrolment(session: Session): Promise<{ secret: string; uri: string; qrSvg: string }> {
    const account = this.#accountOf(session);
    if (account.totpSecret) throw new HttpError(409, 'WRONG_STEP', 'two-factor authentication is set up already');
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
    if (account.totpSecret || !account.totpPendingSecret) throw new HttpError(409, 'WRONG_STEP', 'start the enrolment first');
    const secret = open(this.#d.secretKey, account.totpPendingSecret, account.id);
    const result = verifyTotp({ secret, code });
    if (!result.ok) {
      this.#failed(account, 'auth.totp_enrolment', 'wrong-code', meta);
      throw new HttpError(401, 'INVALID_CODE', 'wrong code; check the time on your phone');
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
    if (session.stage !== 'verified' || !account.totpSecret) throw new HttpError(409, 'WRONG_STEP', 'set up two-factor authentication first');
    const codes = generateRecoveryCodes();
    this.#d.accounts.replaceRecoveryCodes(account.id, codes.map(hashRecoveryCode));
    this.#d.audit({ action: 'auth.recovery_codes_regenerated', outcome: 'ok', actor: account.id });
    return codes;
  }

  // --- password -----------------------------------------------------------------------------

  /** Changes the password (current one required) and signs out every other session. */
  async changePassword(session: Session, current: string, next: string, meta: RequestMeta): Promise<void> {
    const account = this.#accountOf(session);
    const violation = passwordPolicy(next);
    if (violation) throw new HttpError(400, 'WEAK_PASSWORD', violation === 'TOO_SHORT' ? 'at least 12 characters' : 'at most 128 characters');
    const check = await this.#hashing(() => this.#d.hasher.verify(account.passwordHash, current));
    if (!check.ok) {
      this.#failed(account, 'auth.password_change', 'wrong-password', meta);
      throw new HttpError(401, 'INVALID_CREDENTIALS', 'the current password is wrong');
    }
    if (current === next) throw new HttpError(400, 'WEAK_PASSWORD', 'choose a new password');
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
    if (!this.#d.accounts.byId(userId)) throw new HttpError(404, 'NOT_FOUND', 'no such user');
    const ended = this.#d.sessions.endAllForUser(userId);
    this.#d.audit({ action: 'auth.sessions_revoked', outcome: 'ok', actor: by.actor, detail: { by: by.role, user: userId, ended } });
    return ended;
  }

  /** Ends one of the user's own sessions (from the account page). */
  endOwnSession(userId: string, idHash: string): void {
    if (!this.#d.sessions.forUser(userId).some((s) => s.idHash === idHash)) throw new HttpError(404, 'NOT_FOUND', 'no such session');
    this.#d.sessions.end([idHash]);
    this.#d.audit({ action: 'auth.sessions_revoked', outcome: 'ok', actor: userId, detail: { by: 'self', user: userId, ended: 1 } });
  }

  // --- helpers ------------------------------------------------------------------------------

  #accountOf(session: Session): Account {
    const account = this.#d.accounts.byId(session.userId);
    if (!account || account.disabled) {
      this.#d.sessions.end([session.idHash]);
      throw new HttpError(401, 'NOT_SIGNED_IN', 'signed out');
    }
    return account;
  }

  #failed(account: Account, action: string, reason: string, meta: RequestMeta): void {
    const lockUntil = lockAfterFailure(this.#lockout, account.failedLogins);
    this.#d.accounts.recordFailure(account.id, lockUntil);
    this.#d.audit({ action, outcome: 'denied', actor: account.id, detail: { reason, ip: meta.ip } });
    if (lockUntil) this.#d.audit({ action: 'auth.lockout', outcome: 'denied', actor: account.id, detail: { until: new Date(lockUntil).toISOString() } });
  }

  /** Password hashing is bounded; when saturated the caller gets 503 instead of waiting forever. */
  async #hashing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HasherBusyError) throw new HttpError(503, 'BUSY', 'the server is busy; try again in a moment', 2);
      throw error;
    }
  }
}

function tooManyAttempts(lockedUntil: number, now: number): HttpError {
  return new HttpError(429, 'TOO_MANY_ATTEMPTS', 'too many failed attempts; try again later', Math.ceil((lockedUntil - now) / 1000));
}
