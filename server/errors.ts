import type { ErrorCode } from './signaling/protocol.ts';

/** An expected refusal with a protocol error code; anything else reaching a client is INTERNAL. */
export class AppError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
  }
}
