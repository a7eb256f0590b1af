/**
 * Error codes, stable: clients switch on them. Signalling responses (docs/protocol.md) and HTTP
 * error bodies `{ "error": { "code", "message" } }` (docs/http-api.md) carry an `ErrorCode`.
 * Plain constants: imported by the server and the browser client alike.
 */

/**
 * Every error code, one vocabulary for signalling and HTTP: a refusal has the same name wherever it
 * is answered (HTTP statuses are the HTTP edge's business: server/http/status.ts).
 */
export const ErrorCode = {
  /** Not JSON, or not a request envelope. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The method exists but its params do not match its schema. */
  INVALID_PARAMS: 'INVALID_PARAMS',
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  /** The method needs a joined participant. */
  NOT_JOINED: 'NOT_JOINED',
  ALREADY_JOINED: 'ALREADY_JOINED',
  MEETING_NOT_FOUND: 'MEETING_NOT_FOUND',
  MEETING_FULL: 'MEETING_FULL',
  /** Already exists: one send and one receive transport, one producer per source. */
  CONFLICT: 'CONFLICT',
  /** A transport, producer or consumer id that is not this participant's; a participant not in the meeting. */
  NOT_FOUND: 'NOT_FOUND',
  /** In the waiting room: no media, no participant list, until a host admits you. */
  IN_WAITING_ROOM: 'IN_WAITING_ROOM',
  /** Your role does not allow this (host controls are for hosts and co-hosts). */
  FORBIDDEN: 'FORBIDDEN',
  /** Locked by a host: nobody new, not even to the waiting room. */
  MEETING_LOCKED: 'MEETING_LOCKED',
  /** Removed from this meeting by a host, and not allowed back (nor admitted by a host). */
  BANNED: 'BANNED',
  /**
   * Too many at once for one person: signalling connections per account or per address, places
   * (in the meeting or waiting) per person in one meeting, meetings per account at once, or
   * receivers of one producer.
   */
  TOO_MANY: 'TOO_MANY',
  /** The server is shutting down (a restart or an update): no new joins; try again in a minute. */
  SERVER_DRAINING: 'SERVER_DRAINING',
  /** A host muted your microphone; you can unmute once a host asks you to. */
  HOST_MUTED: 'HOST_MUTED',
  /** A host turned your camera off, or the meeting allows no cameras. */
  CAMERA_NOT_ALLOWED: 'CAMERA_NOT_ALLOWED',
  SCREEN_SHARE_NOT_ALLOWED: 'SCREEN_SHARE_NOT_ALLOWED',
  CHAT_DISABLED: 'CHAT_DISABLED',
  /**
   * This meeting is end-to-end encrypted and your client said (`join`'s `e2ee: false`) it cannot
   * encrypt: use a current Chromium, Firefox or Safari.
   */
  E2EE_UNSUPPORTED: 'E2EE_UNSUPPORTED',
  /** The meeting is end-to-end encrypted: plaintext (chat `text`) is not accepted; send `sealed`. */
  E2EE_REQUIRED: 'E2EE_REQUIRED',
  /** The meeting is not end-to-end encrypted: no key material, no sealed chat. */
  E2EE_OFF: 'E2EE_OFF',
  /** Whether a meeting is end-to-end encrypted cannot change while it runs (`updatePolicy` with `e2ee`). */
  E2EE_FIXED: 'E2EE_FIXED',
  /** Announce your public key bundle (`announceE2eeKeys`) before sending media in an encrypted meeting. */
  E2EE_KEYS_REQUIRED: 'E2EE_KEYS_REQUIRED',
  /** Your bundle is announced once per join: it must not change under the participants' security code. */
  E2EE_KEYS_ALREADY_ANNOUNCED: 'E2EE_KEYS_ALREADY_ANNOUNCED',
  /** In an encrypted meeting only Opus (audio) and VP8 (video) may be sent. */
  E2EE_CODEC: 'E2EE_CODEC',
  /** The SFU refused the media operation (e.g. incompatible RTP capabilities). */
  MEDIA_ERROR: 'MEDIA_ERROR',
  INTERNAL: 'INTERNAL',

  // --- the HTTP API only (sign-in, accounts, guests' entry) ---
  INVALID_BODY: 'INVALID_BODY',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  TOO_MANY_ATTEMPTS: 'TOO_MANY_ATTEMPTS',
  INVALID_CODE: 'INVALID_CODE',
  CODE_ALREADY_USED: 'CODE_ALREADY_USED',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  NOT_SIGNED_IN: 'NOT_SIGNED_IN',
  SECOND_FACTOR_REQUIRED: 'SECOND_FACTOR_REQUIRED',
  ENROLMENT_REQUIRED: 'ENROLMENT_REQUIRED',
  PASSWORD_CHANGE_REQUIRED: 'PASSWORD_CHANGE_REQUIRED',
  WRONG_STEP: 'WRONG_STEP',
  CSRF_FAILED: 'CSRF_FAILED',
  GUESTS_NOT_ALLOWED: 'GUESTS_NOT_ALLOWED',
  BUSY: 'BUSY',

  // --- the admin console (docs/http-api.md "Administration") ---
  /** A sensitive action needs a fresh TOTP code first (`POST /api/admin/step-up`, valid five minutes). */
  STEP_UP_REQUIRED: 'STEP_UP_REQUIRED',
  /** It would leave no enabled administrator: make another one admin first. */
  LAST_ADMIN: 'LAST_ADMIN',
  /** An administrator cannot disable or demote their own account; another administrator must. */
  OWN_ACCOUNT: 'OWN_ACCOUNT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
