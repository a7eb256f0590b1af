/**
 * Step-up for the admin console's sensitive actions (reset 2FA, change a role, change the
 * organisation policy, end a meeting): a fresh TOTP code (checked by AuthService.confirmFreshCode:
 * once per code, failures towards the lockout, audited) grants this session five minutes. Grants
 * live in memory with their session and end with it (sign-out, expiry, revocation) or a restart.
 */
import { DomainError } from '../errors.ts';

export const STEP_UP_MS = 5 * 60_000;

/** Where ended sessions are announced (SessionStore). */
interface SessionEvents {
  on(event: 'ended', listener: (idHashes: string[]) => void): unknown;
}

export class StepUpGrants {
  /** Session id hash → until when its grant holds (ms since the epoch). */
  readonly #until = new Map<string, number>();
  readonly #now: () => number;
  readonly #validMs: number;

  /** `now`: the clock grants are judged by (injectable, so a test need not wait five minutes). */
  constructor(sessions: SessionEvents, options: { now?: () => number; validMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#validMs = options.validMs ?? STEP_UP_MS;
    sessions.on('ended', (idHashes) => idHashes.forEach((h) => this.#until.delete(h)));
  }

  /** A fresh code was accepted for this session: returns until when the grant holds. */
  grant(sessionIdHash: string): number {
    const until = this.#now() + this.#validMs;
    this.#until.set(sessionIdHash, until);
    return until;
  }

  /** Refuses with STEP_UP_REQUIRED unless the session holds a grant now. */
  require(sessionIdHash: string): void {
    const until = this.#until.get(sessionIdHash);
    if (until !== undefined && this.#now() < until) return;
    this.#until.delete(sessionIdHash);
    throw new DomainError('STEP_UP_REQUIRED', 'confirm with a fresh code from your authenticator app first (valid five minutes)');
  }
}
