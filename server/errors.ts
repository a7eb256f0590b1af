import type { ErrorCode } from '../protocol/errors.ts';

/** An expected refusal with a protocol error code; anything else reaching a client is INTERNAL. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** Already written to the audit trail by the handler; otherwise the dispatcher audits it. */
  audited = false;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}
