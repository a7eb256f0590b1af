/**
 * Refusals that can come in floods (bad or unauthorised signalling calls, CSRF refusals, 429s,
 * flood disconnects) are audited aggregated, so an attacker cannot fill the disk: the first of a
 * kind in a window is written at once; its repeats are counted and written as one row when the
 * window closes. "A kind" is the same action, actor, meeting, code, address and route (when one is
 * given). Past `maxKinds`
 * kinds in one window, further kinds are only counted (one overflow row per window).
 */
import type { Audit } from './audit.ts';

export interface Refusal {
  action: string;
  code: string;
  actor?: string | undefined;
  meetingId?: string | undefined;
  ip?: string | undefined;
  /** The HTTP route refused (its own kind: refusals of two routes are never folded together). */
  route?: string | undefined;
  /** Anything else worth keeping (never secrets or content); part of the first row only. */
  detail?: Record<string, unknown>;
}

export class RefusalAudit {
  readonly #audit: Audit;
  readonly #windowSeconds: number;
  readonly #maxKinds: number;
  /** Repeats per kind since the window opened (the first one is written already). */
  readonly #repeats = new Map<string, { refusal: Refusal; count: number }>();
  #overflow = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(audit: Audit, options: { windowSeconds?: number; maxKinds?: number } = {}) {
    this.#audit = audit;
    this.#windowSeconds = options.windowSeconds ?? 60;
    this.#maxKinds = options.maxKinds ?? 1000;
    this.#timer = setInterval(() => this.flush(), this.#windowSeconds * 1000);
    this.#timer.unref();
  }

  record(refusal: Refusal): void {
    const key = JSON.stringify([refusal.action, refusal.actor, refusal.meetingId, refusal.code, refusal.ip, refusal.route]);
    const seen = this.#repeats.get(key);
    if (seen) {
      seen.count++;
      return;
    }
    if (this.#repeats.size >= this.#maxKinds) {
      this.#overflow++;
      return;
    }
    this.#repeats.set(key, { refusal, count: 0 });
    this.#write(refusal, { ...refusal.detail });
  }

  /** Writes the repeats counted so far and opens a new window. */
  flush(): void {
    for (const { refusal, count } of this.#repeats.values()) {
      if (count > 0) this.#write(refusal, { repeated: count, windowSeconds: this.#windowSeconds });
    }
    this.#repeats.clear();
    if (this.#overflow > 0) {
      this.#audit({ action: 'audit.refusals_overflow', outcome: 'denied', detail: { uncounted: this.#overflow, windowSeconds: this.#windowSeconds } });
      this.#overflow = 0;
    }
  }

  /** Flushes and stops (shutdown, before the database closes). */
  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }

  #write(r: Refusal, detail: Record<string, unknown>): void {
    this.#audit({
      action: r.action,
      outcome: 'denied',
      actor: r.actor,
      meetingId: r.meetingId,
      detail: { code: r.code, ...(r.ip ? { ip: r.ip } : {}), ...(r.route ? { route: r.route } : {}), ...detail },
    });
  }
}
