import type { ErrorCode } from '../protocol/errors.ts';

/**
 * The one domain error: an expected refusal with a code from protocol/errors.ts, thrown by the
 * meeting core, accounts and handlers alike; each edge (HTTP, signalling) maps the code to its
 * transport. Anything else reaching a client is INTERNAL.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Already written to the audit trail by the handler; otherwise the dispatcher audits it. */
  audited = false;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
  }
}
