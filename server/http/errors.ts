import type { HttpErrorCode } from '../../protocol/errors.ts';


export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, code: HttpErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
