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

/** Every statement the store runs, prepared once. */
function statements(db: Db) {
  return {
    count: db.prepare('SELECT count(*) FROM users').pluck(),
    insert: db.prepare(
      `INSERT INTO users (id, username, display_name, role, password_hash, must_change_password, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    byId: db.prepare('SELECT * FROM users WHERE id = ?'),
    byUsername: db.prepare('SELECT * FROM users WHERE username = ?'),
    list: db.prepare('SELECT * FROM users ORDER BY username'),
    // LIKE is case-insensitive for ASCII letters; `\\` escapes the caller's % and _.
    search: db.prepare(
      `SELECT * FROM users WHERE :pattern IS NULL OR username LIKE :pattern ESCAPE '\\' OR display_name LIKE :pattern ESCAPE '\\'
       ORDER BY username LIMIT :limit OFFSET :offset`,
    ),
    searchCount: db
      .prepare(`SELECT count(*) FROM users WHERE :pattern IS NULL OR username LIKE :pattern ESCAPE '\\' OR display_name LIKE :pattern ESCAPE '\\'`)
      .pluck(),
    enabledAdmins: db.prepare("SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0").pluck(),
    setRole: db.prepare('UPDATE users SET role = ? WHERE id = ?'),
    setPassword: db.prepare('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?'),
    countFailure: db.prepare('UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins').pluck(),
    lock: db.prepare('UPDATE users SET locked_until = ? WHERE id = ?'),
    recordLogin: db.prepare('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?'),
    setPendingTotp: db.prepare('UPDATE users SET totp_pending_secret = ? WHERE id = ?'),
    activateTotp: db.prepare('UPDATE users SET totp_secret = ?, totp_pending_secret = NULL, totp_last_step = ? WHERE id = ?'),
    claimTotpStep: db.prepare('UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)'),
    clearTotp: db.prepare('UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE id = ?'),
    setDisabled: db.prepare('UPDATE users SET disabled = ? WHERE id = ?'),
    deleteRecoveryCodes: db.prepare('DELETE FROM recovery_codes WHERE user_id = ?'),
    insertRecoveryCode: db.prepare('INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)'),
    unusedRecoveryCodes: db.prepare('SELECT code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL').pluck(),
    useRecoveryCode: db.prepare('UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL'),
  };
}

/** The result of counting a failed sign-in step. */
export interface FailureCount {
  /** Failed steps since the last successful sign-in, this one included. */
  failures: number;
  /** The lock this failure set, or null when it set none. */
  lockedUntil: number | null;
}

export class AccountStore {
  readonly #q: ReturnType<typeof statements>;
  readonly #recordFailure: (id: string, lockFor: (failures: number) => number | null) => FailureCount | undefined;
  readonly #resetTotp: (id: string) => void;
  readonly #replaceRecoveryCodes: (id: string, hashes: string[]) => void;

  constructor(db: Db) {
    this.#q = statements(db);
    const q = this.#q;
    this.#recordFailure = db.transaction((id: string, lockFor: (failures: number) => number | null): FailureCount | undefined => {
      const failures = q.countFailure.get(id) as number | undefined;
      if (failures === undefined) return undefined;
      const lockedUntil = lockFor(failures);
      if (lockedUntil !== null) q.lock.run(lockedUntil, id);
      return { failures, lockedUntil };
    });
    this.#resetTotp = db.transaction((id: string) => {
      q.clearTotp.run(id);
      q.deleteRecoveryCodes.run(id);
    });
    this.#replaceRecoveryCodes = db.transaction((id: string, hashes: string[]) => {
      q.deleteRecoveryCodes.run(id);
      for (const hash of hashes) q.insertRecoveryCode.run(id, hash);
    });
  }

  count(): number {
    return this.#q.count.get() as number;
  }

  create(input: { username: string; displayName: string; role: Role; passwordHash: string; mustChangePassword: boolean }): Account {
    const id = randomUUID();
    this.#q.insert.run(id, input.username, input.displayName, input.role, input.passwordHash, input.mustChangePassword ? 1 : 0, Date.now());
    return this.byId(id)!;
  }

  byId(id: string): Account | undefined {
    const row = this.#q.byId.get(id) as Row | undefined;
    return row && fromRow(row);
  }

  byUsername(username: string): Account | undefined {
    const row = this.#q.byUsername.get(username) as Row | undefined;
    return row && fromRow(row);
  }

  list(): Account[] {
    return (this.#q.list.all() as Row[]).map(fromRow);
  }

  /**
   * Accounts whose username or display name contains `text` (case-insensitive for ASCII; none:
   * everyone), by username, one page; and how many match in all.
   */
  search(text: string | undefined, page: { offset: number; limit: number }): { accounts: Account[]; total: number } {
    const pattern = text === undefined ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return {
      accounts: (this.#q.search.all({ pattern, limit: page.limit, offset: page.offset }) as Row[]).map(fromRow),
      total: this.#q.searchCount.get({ pattern }) as number,
    };
  }

  /** Administrators who may sign in. */
  enabledAdmins(): number {
    return this.#q.enabledAdmins.get() as number;
  }

  setRole(id: string, role: Role): void {
    this.#q.setRole.run(role, id);
  }

  setPassword(id: string, passwordHash: string, mustChangePassword: boolean): void {
    this.#q.setPassword.run(passwordHash, mustChangePassword ? 1 : 0, id);
  }

  /**
   * A sign-in step failed: counts it and, in the same transaction, sets the lock `lockFor` gives
   * for the new count (null: none). Concurrent failures each see their own count, never a stale
   * one. Undefined when there is no such account.
   */
  recordFailure(id: string, lockFor: (failures: number) => number | null): FailureCount | undefined {
    return this.#recordFailure(id, lockFor);
  }

  /** Fully signed in: reset the failure count and lock. */
  recordLogin(id: string): void {
    this.#q.recordLogin.run(Date.now(), id);
  }

  setPendingTotp(id: string, sealedSecret: string | null): void {
    this.#q.setPendingTotp.run(sealedSecret, id);
  }

  /** Enrolment finished: the pending secret becomes the active one. */
  activateTotp(id: string, sealedSecret: string, step: number): void {
    this.#q.activateTotp.run(sealedSecret, step, id);
  }

  /**
   * Records the step of an accepted code, only if it is newer than the last one: two requests
   * racing with the same code cannot both win. Returns whether this call won.
   */
  claimTotpStep(id: string, step: number): boolean {
    return this.#q.claimTotpStep.run(step, id, step).changes === 1;
  }

  resetTotp(id: string): void {
    this.#resetTotp(id);
  }

  setDisabled(id: string, disabled: boolean): void {
    this.#q.setDisabled.run(disabled ? 1 : 0, id);
  }

  replaceRecoveryCodes(id: string, hashes: string[]): void {
    this.#replaceRecoveryCodes(id, hashes);
  }

  unusedRecoveryCodes(id: string): string[] {
    return this.#q.unusedRecoveryCodes.all(id) as string[];
  }

  /** Marks a recovery code used; false if it was used already (a concurrent request won). */
  useRecoveryCode(id: string, hash: string): boolean {
    return this.#q.useRecoveryCode.run(Date.now(), id, hash).changes === 1;
  }
}
