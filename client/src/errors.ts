/**
 * Every error code the client can show: the server's (one vocabulary for signalling and the HTTP
 * API) and the client's own. The translation tables must have a message for each (checked by the
 * compiler).
 */
import type { ErrorCode } from '../../protocol/errors.ts';

/** Errors the client raises itself. */
export type ClientErrorCode =
  | 'MEDIA_DENIED'
  | 'MEDIA_UNAVAILABLE'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_LOST'
  | 'TIMEOUT'
  | 'NO_MEETING'
  | 'UNSUPPORTED'
  /** The account's session ended while on the meeting page (close code 4401, or refused socket). */
  | 'SESSION_ENDED'
  | 'PASSWORD_MISMATCH'
  /** A host turned you away from the waiting room. */
  | 'DENIED'
  /** A host removed you from the meeting (without a ban: you may ask to come back). */
  | 'REMOVED'
  /** A host ended the meeting for everyone. */
  | 'MEETING_ENDED'
  /** Screen sharing was refused or cancelled in the browser. */
  | 'SCREEN_SHARE_FAILED'
  /** INVALID_CREDENTIALS in the change-password form: only the current password can be wrong. */
  | 'CURRENT_PASSWORD_WRONG'
  /** The guest session ended while on the meeting page (close code 4401, or refused socket). */
  | 'GUEST_SESSION_ENDED'
  /** INVALID_CREDENTIALS in the guest form: no such meeting, or the wrong meeting password. */
  | 'MEETING_PASSWORD_WRONG'
  /** The guest's name is not a valid display name. */
  | 'INVALID_NAME';

export type AnyErrorCode = ErrorCode | ClientErrorCode;
