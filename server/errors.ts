import type { ErrorCode } from '../protocol/errors.ts';

export interface DomainErrorOptions {
  /** How long to wait before trying again (the HTTP edge sends it as Retry-After). */
  retryAfterSeconds?: number;
}

/**
 * The one domain error: an expected refusal with a code from protocol/errors.ts, thrown by the
 * meeting core, accounts and handlers alike; each edge (HTTP: server/http/status.ts, signalling)
 * maps the code to its transport. Anything else reaching a client is INTERNAL.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  /** Already written to the audit trail by the handler; otherwise the dispatcher audits it. */
  audited = false;
  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
