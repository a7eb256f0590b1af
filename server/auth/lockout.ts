/**
 * Account lockout with back-off: every `failures` failed sign-in steps lock the account for
 * `seconds`, doubling with each further lock (capped at a day) until a successful sign-in.
 * Names that match no account follow the same rule in memory, so a lockout does not reveal
 * whether an account exists.
 */
const MAX_LOCK_MS = 24 * 3_600_000;
const MAX_TRACKED_UNKNOWN = 10_000;

export interface LockoutPolicy {
  failures: number;
  seconds: number;
}

/** The lock to apply once `failed` failures are counted (this one included), or null for none. */
export function lockAfterFailures(policy: LockoutPolicy, failed: number, now = Date.now()): number | null {
  if (failed % policy.failures !== 0) return null;
  const locks = failed / policy.failures;
  return now + Math.min(MAX_LOCK_MS, policy.seconds * 1000 * 2 ** (locks - 1));
}

/** Failure counts for names without an account (bounded; oldest forgotten first). */
export class UnknownNameLockout {
  readonly #policy: LockoutPolicy;
  readonly #entries = new Map<string, { failures: number; lockedUntil: number | null }>();

  constructor(policy: LockoutPolicy) {
    this.#policy = policy;
  }

  lockedUntil(name: string, now = Date.now()): number | null {
    const until = this.#entries.get(name.toLowerCase())?.lockedUntil ?? null;
    return until !== null && until > now ? until : null;
  }

  recordFailure(name: string, now = Date.now()): void {
    const key = name.toLowerCase();
    const entry = this.#entries.get(key) ?? { failures: 0, lockedUntil: null };
    this.#entries.delete(key);
    entry.failures++;
    entry.lockedUntil = lockAfterFailures(this.#policy, entry.failures, now) ?? entry.lockedUntil;
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_TRACKED_UNKNOWN) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
