/**
 * The HTTP edge's one table: the HTTP status of each error code (protocol/errors.ts). The rest of
 * the server throws `DomainError(code, message)` and never names a status; the error handler
 * (hardening.ts) answers `{ error: { code, message } }` with the status found here. Codes only
 * signalling uses today have a status too, so the table is total (checked by the compiler).
 */
import type { ErrorCode } from '../../protocol/errors.ts';

export const HTTP_STATUS = {
  // Requests the server cannot read or that do not match their schema.
  BAD_REQUEST: 400,
  INVALID_PARAMS: 400,
  INVALID_BODY: 400,
  WEAK_PASSWORD: 400,
  /** `policy.e2ee: false` while `meetings.e2eeRequired`. */
  E2EE_REQUIRED: 400,
  E2EE_UNSUPPORTED: 400,
  E2EE_CODEC: 400,
  MESSAGE_TOO_LARGE: 413,

  // Who you are: sign in, or finish signing in.
  NOT_SIGNED_IN: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_CODE: 401,
  CODE_ALREADY_USED: 401,
  SECOND_FACTOR_REQUIRED: 401,
  ENROLMENT_REQUIRED: 401,

  // What you may do.
  PASSWORD_CHANGE_REQUIRED: 403,
  CSRF_FAILED: 403,
  FORBIDDEN: 403,
  GUESTS_NOT_ALLOWED: 403,
  BANNED: 403,
  MEETING_LOCKED: 403,
  IN_WAITING_ROOM: 403,
  HOST_MUTED: 403,
  CAMERA_NOT_ALLOWED: 403,
  SCREEN_SHARE_NOT_ALLOWED: 403,
  CHAT_DISABLED: 403,
  /** The admin console's sensitive actions: a fresh TOTP code first. */
  STEP_UP_REQUIRED: 403,

  NOT_FOUND: 404,
  MEETING_NOT_FOUND: 404,
  UNKNOWN_METHOD: 404,

  // Not now, or not in this state.
  WRONG_STEP: 409,
  CONFLICT: 409,
  NOT_JOINED: 409,
  ALREADY_JOINED: 409,
  MEETING_FULL: 409,
  /** `policy.e2ee` cannot change while anyone is in the meeting or its waiting room. */
  E2EE_FIXED: 409,
  E2EE_OFF: 409,
  E2EE_KEYS_REQUIRED: 409,
  E2EE_KEYS_ALREADY_ANNOUNCED: 409,
  LAST_ADMIN: 409,
  OWN_ACCOUNT: 409,

  // Too much: wait (Retry-After when the error says how long).
  RATE_LIMITED: 429,
  TOO_MANY_ATTEMPTS: 429,
  TOO_MANY: 429,

  INTERNAL: 500,
  MEDIA_ERROR: 500,
  BUSY: 503,
  SERVER_DRAINING: 503,
} as const satisfies Record<ErrorCode, number>;

export function httpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code];
}
