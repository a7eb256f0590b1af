/**
 * The server's HTTP API (docs/http-api.md), typed per endpoint. `api()` sends JSON with the
 * session's CSRF token (taken from the last session view the server returned) and turns an error
 * reply `{ error: { code } }` into an ApiError whose `.code` the views translate.
 */
import type { SessionView, SignedInView as SignedIn, SignedOutView as SignedOut } from '../../server/auth/routes.ts';
import { HttpErrorCode } from '../../protocol/errors.ts';

export type { SessionView, SignedIn, SignedOut };

export type SessionInfo = { id: string; current: boolean; createdAt: number; lastSeenAt: number; ip: string | null; userAgent: string | null };
export type AccountView = SignedIn & { recoveryCodesLeft: number; sessions: SessionInfo[] };
export type Enrolment = { secret: string; uri: string; qrSvg: string };
/** How people are invited: the link, and the password for guests (null: the meeting has none). */
export type Invitation = { link: string; password: string | null };
/** A guest's entry to one meeting (POST /api/meetings/:id/guest); the browser keeps `deviceToken`. */
export type GuestEntry = { deviceToken: string; meetingId: string; displayName: string };
/** A meeting as its hosts see it (GET/POST /api/meetings). */
export type MeetingSummary = { id: string; title: string; createdAt: number; startsAt: number | null; durationMinutes: number | null; invitation: Invitation };

type Endpoint<Body, Result> = { body: Body; result: Result };
/** Every endpoint the client uses: request body (undefined: none) and reply. */
type Endpoints = {
  GET: {
    '/api/session': Endpoint<undefined, SessionView>;
    '/api/account': Endpoint<undefined, AccountView>;
    '/api/meetings': Endpoint<undefined, MeetingSummary[]>;
  };
  POST: {
    '/api/auth/login': Endpoint<{ username: string; password: string }, SignedIn>;
    '/api/auth/second-factor': Endpoint<{ code: string } | { recoveryCode: string }, SignedIn>;
    '/api/auth/enrol/start': Endpoint<undefined, Enrolment>;
    '/api/auth/enrol/confirm': Endpoint<{ code: string }, SignedIn & { recoveryCodes: string[] }>;
    '/api/auth/logout': Endpoint<undefined, SignedOut>;
    '/api/account/password': Endpoint<{ currentPassword: string; newPassword: string }, SignedIn>;
    '/api/account/recovery-codes': Endpoint<undefined, { recoveryCodes: string[] }>;
    '/api/account/sessions/end-all': Endpoint<undefined, SignedOut & { ended: number }>;
    [endOne: `/api/account/sessions/${string}/end`]: Endpoint<undefined, { ended: number }>;
    '/api/meetings': Endpoint<{ title: string }, MeetingSummary>;
    /** No session needed: the meeting password opens a guest session (cookie) for this meeting only. */
    [guest: `/api/meetings/${string}/guest`]: Endpoint<{ displayName: string; password: string; deviceToken?: string }, GuestEntry>;
  };
};
type Method = keyof Endpoints;
type BodyArgs<E> = E extends Endpoint<infer B, unknown> ? ([B] extends [undefined] ? [] : [body: B]) : never;
type ResultOf<E> = E extends Endpoint<unknown, infer R> ? R : never;

/** The API's error codes, plus CONNECTION_FAILED when no reply arrived at all. */
export type ApiErrorCode = HttpErrorCode | 'CONNECTION_FAILED';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  /** From a refusal's Retry-After header: how long to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ApiErrorCode, status: number, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Codes that mean "this browser must (re)do the sign-in" rather than "this action failed". */
const SIGN_IN_REQUIRED: ReadonlySet<ApiErrorCode> = new Set(['NOT_SIGNED_IN', 'SECOND_FACTOR_REQUIRED', 'ENROLMENT_REQUIRED', 'PASSWORD_CHANGE_REQUIRED']);

export function needsSignIn(err: unknown): boolean {
  return err instanceof ApiError && SIGN_IN_REQUIRED.has(err.code);
}

let csrfToken: string | null = null;

function isHttpErrorCode(code: unknown): code is HttpErrorCode {
  return typeof code === 'string' && Object.hasOwn(HttpErrorCode, code);
}

export async function api<M extends Method, P extends keyof Endpoints[M] & string>(
  method: M,
  path: P,
  ...body: BodyArgs<Endpoints[M][P]>
): Promise<ResultOf<Endpoints[M][P]>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (body.length > 0) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body.length > 0 ? JSON.stringify(body[0]) : null, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError('CONNECTION_FAILED', 0, String(err));
  }
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = isHttpErrorCode(error?.code) ? error.code : 'INTERNAL';
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(code, response.status, typeof error?.message === 'string' ? error.message : response.statusText, retryAfter > 0 ? retryAfter : undefined);
  }
  // Session views carry the CSRF token; it changes with each sign-in step.
  if (data && typeof data === 'object') {
    if ('csrfToken' in data && typeof data.csrfToken === 'string') csrfToken = data.csrfToken;
    else if ('signedIn' in data && data.signedIn === false) csrfToken = null;
  }
  return data as ResultOf<Endpoints[M][P]>;
}
