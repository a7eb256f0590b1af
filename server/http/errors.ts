/** Error codes of the HTTP API (`{ "error": { "code", "message" } }`), stable for clients. */
export const HttpErrorCode = {
  INVALID_BODY: 'INVALID_BODY',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  RATE_LIMITED: 'RATE_LIMITED',
  INVALID_CODE: 'INVALID_CODE',
  CODE_ALREADY_USED: 'CODE_ALREADY_USED',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  NOT_SIGNED_IN: 'NOT_SIGNED_IN',
  SECOND_FACTOR_REQUIRED: 'SECOND_FACTOR_REQUIRED',
  ENROLMENT_REQUIRED: 'ENROLMENT_REQUIRED',
  PASSWORD_CHANGE_REQUIRED: 'PASSWORD_CHANGE_REQUIRED',
  WRONG_STEP: 'WRONG_STEP',
  CSRF_FAILED: 'CSRF_FAILED',
  FORBIDDEN: 'FORBIDDEN',
  GUESTS_NOT_ALLOWED: 'GUESTS_NOT_ALLOWED',
  /** `meetings.e2eeRequired`: a meeting cannot be created or edited with `policy.e2ee: false`. */
  E2EE_REQUIRED: 'E2EE_REQUIRED',
  /** Whether a meeting is end-to-end encrypted cannot change while someone is in it or waiting. */
  E2EE_FIXED: 'E2EE_FIXED',
  NOT_FOUND: 'NOT_FOUND',
  /** This browser (guest device) was banned from the meeting by a host. */
  BANNED: 'BANNED',
  /** Too many at once: signalling connections per account or address. */
  TOO_MANY: 'TOO_MANY',
  BUSY: 'BUSY',
  INTERNAL: 'INTERNAL',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

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
