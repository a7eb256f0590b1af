/** Staff accounts in the SQLite store. Pure data access: rules live in the callers. */
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/db.ts';

export type Role = 'admin' | 'staff';

export interface Account {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  mustChangePassword: boolean;
  totpSecret: string | null;
  totpPendingSecret: string | null;
  totpLastStep: number | null;
  disabled: boolean;
  failedLogins: number;
  lockedUntil: number | null;
  createdAt: number;
  lastLoginAt: number | null;
}

interface Row {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  must_change_password: number;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_last_step: number | null;
  disabled: number;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  last_login_at: number | null;
}

function fromRow(r: Row): Account {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    passwordHash: r.password_hash,
    mustChangePassword: r.must_change_password === 1,
    totpSecret: r.totp_secret,
    totpPendingSecret: r.totp_pending_secret,
    totpLastStep: r.totp_last_step,
    disabled: r.disabled === 1,
    failedLogins: r.failed_logins,
    lockedUntil: r.locked_until,
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at,
  };
}

export class AccountStore {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  count(): number {
    return this.#db.prepare('SELECT count(*) FROM users').pluck().get() as number;
  }

  create(input: { username: string; displayName: string; role: Role; passwordHash: string; mustChangePassword: boolean }): Account {
    const id = randomUUID();
    this.#db
      .prepare(
        `INSERT INTO users (id, username, display_name, role, password_hash, must_change_password, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, input.username, input.displayName, input.role, input.passwordHash, input.mustChangePassword ? 1 : 0, Date.now());
    return this.byId(id)!;
  }

  byId(id: string): Account | undefined {
    const row = this.#db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return row && fromRow(row);
  }

  byUsername(username: string): Account | undefined {
    const row = this.#db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row && fromRow(row);
  }

  list(): Account[] {
    return (this.#db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(fromRow);
  }

  setPassword(id: string, passwordHash: string, mustChangePassword: boolean): void {
    this.#db.prepare('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?').run(passwordHash, mustChangePassword ? 1 : 0, id);
  }

  /** A sign-in step failed: count it, and lock until `lockUntil` when given. */
  recordFailure(id: string, lockUntil: number | null): void {
    this.#db.prepare('UPDATE users SET failed_logins = failed_logins + 1, locked_until = coalesce(?, locked_until) WHERE id = ?').run(lockUntil, id);
  }

  /** Fully signed in: reset the failure count and lock. */
  recordLogin(id: string): void {
    this.#db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?').run(Date.now(), id);
  }

  setPendingTotp(id: string, sealedSecret: string | null): void {
    this.#db.prepare('UPDATE users SET totp_pending_secret = ? WHERE id = ?').run(sealedSecret, id);
  }

  /** Enrolment finished: the pending secret becomes the active one. */
  activateTotp(id: string, sealedSecret: string, step: number): void {
    this.#db.prepare('UPDATE users SET totp_secret = ?, totp_pending_secret = NULL, totp_last_step = ? WHERE id = ?').run(sealedSecret, step, id);
  }

  /**
   * Records the step of an accepted code, only if it is newer than the last one: two requests
   * racing with the same code cannot both win. Returns whether this call won.
   */
  claimTotpStep(id: string, step: number): boolean {
    const result = this.#db
      .prepare('UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)')
      .run(step, id, step);
    return result.changes === 1;
  }

  resetTotp(id: string): void {
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE id = ?').run(id);
      this.#db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').run(id);
    })();
  }

  setDisabled(id: string, disabled: boolean): void {
    this.#db.prepare('UPDATE users SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, id);
  }

  replaceRecoveryCodes(id: string, hashes: string[]): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM recovery_codes WHERE user_id = ?').run(id);
      const insert = this.#db.prepare('INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)');
      for (const hash of hashes) insert.run(id, hash);
    })();
  }

  unusedRecoveryCodes(id: string): string[] {
    return this.#db.prepare('SELECT code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').pluck().all(id) as string[];
  }

  /** Marks a recovery code used; false if it was used already (a concurrent request won). */
  useRecoveryCode(id: string, hash: string): boolean {
    return this.#db.prepare('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL').run(Date.now(), id, hash).changes === 1;
  }
}
