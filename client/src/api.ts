/**
 * The server's HTTP API (docs/http-api.md), typed per endpoint. `api()` sends JSON with the
 * session's CSRF token (taken from the last session view the server returned) and turns an error
 * reply `{ error: { code } }` into an ApiError whose `.code` the views translate.
 */
import type {
  AccountView,
  ConfirmEnrolmentBody,
  CreateMeetingBody,
  EndedView,
  EnrolledView,
  Enrolment,
  GuestBody,
  GuestEntry,
  Invitation,
  LoginBody,
  MeetingList,
  MeetingView,
  PasswordBody,
  RecoveryCodesView,
  SecondFactorBody,
  SessionInfo,
  SessionView,
  SignedInView as SignedIn,
  SignedOutEverywhereView,
  SignedOutView as SignedOut,
  SsoInfo,
} from '../../protocol/http.ts';
import type {
  AdminUserPage,
  AuditPage,
  AuditStatus,
  CreateUserBody,
  EndedMeetingView,
  LiveMeetingList,
  OrgPolicy,
  OrgPolicyView,
  SetRoleBody,
  StepUpBody,
  StepUpView,
  SystemView,
  UserActionView,
  UserWithPassword,
} from '../../protocol/admin.ts';
import { ErrorCode } from '../../protocol/errors.ts';

/** The wire's types (protocol/http.ts), under the names the views use. */
export type { AccountView, Enrolment, GuestEntry, Invitation, SessionInfo, SessionView, SignedIn, SignedOut };
/** A meeting as its hosts see it (GET/POST /api/meetings), with its invitation. */
export type MeetingSummary = MeetingView;

type Endpoint<Body, Result> = { body: Body; result: Result };
/** Every endpoint the client uses: request body (undefined: none) and reply. */
type Endpoints = {
  GET: {
    '/api/session': Endpoint<undefined, SessionView>;
    '/api/account': Endpoint<undefined, AccountView>;
    '/api/meetings': Endpoint<undefined, MeetingList>;
    /** No session needed: whether the login page offers single sign-on. */
    '/api/auth/oidc': Endpoint<undefined, SsoInfo>;
    // the admin console (protocol/admin.ts): queries go in the path (`withQuery`)
    '/api/admin/users': Endpoint<undefined, AdminUserPage>;
    [users: `/api/admin/users?${string}`]: Endpoint<undefined, AdminUserPage>;
    '/api/admin/policy': Endpoint<undefined, OrgPolicyView>;
    '/api/admin/meetings': Endpoint<undefined, LiveMeetingList>;
    '/api/admin/audit': Endpoint<undefined, AuditPage>;
    [audit: `/api/admin/audit?${string}`]: Endpoint<undefined, AuditPage>;
    '/api/admin/audit/status': Endpoint<undefined, AuditStatus>;
    '/api/admin/system': Endpoint<undefined, SystemView>;
  };
  POST: {
    '/api/auth/login': Endpoint<LoginBody, SignedIn>;
    '/api/auth/second-factor': Endpoint<SecondFactorBody, SignedIn>;
    '/api/auth/enrol/start': Endpoint<undefined, Enrolment>;
    '/api/auth/enrol/confirm': Endpoint<ConfirmEnrolmentBody, EnrolledView>;
    '/api/auth/logout': Endpoint<undefined, SignedOut>;
    '/api/account/password': Endpoint<PasswordBody, SignedIn>;
    '/api/account/recovery-codes': Endpoint<undefined, RecoveryCodesView>;
    '/api/account/sessions/end-all': Endpoint<undefined, SignedOutEverywhereView>;
    [endOne: `/api/account/sessions/${string}/end`]: Endpoint<undefined, EndedView>;
    '/api/meetings': Endpoint<CreateMeetingBody, MeetingView>;
    /** No session needed: the meeting password opens a guest session (cookie) for this meeting only. */
    [guest: `/api/meetings/${string}/guest`]: Endpoint<GuestBody, GuestEntry>;
    '/api/admin/step-up': Endpoint<StepUpBody, StepUpView>;
    '/api/admin/users': Endpoint<CreateUserBody, UserWithPassword>;
    [userAction: `/api/admin/users/${string}/${'disable' | 'enable' | 'reset-2fa' | 'sessions/end'}`]: Endpoint<undefined, UserActionView>;
    [resetPassword: `/api/admin/users/${string}/reset-password`]: Endpoint<undefined, UserWithPassword>;
    [setRole: `/api/admin/users/${string}/role`]: Endpoint<SetRoleBody, UserActionView>;
    [endMeeting: `/api/admin/meetings/${string}/end`]: Endpoint<undefined, EndedMeetingView>;
    '/api/admin/audit/verify': Endpoint<undefined, AuditStatus>;
  };
  PUT: {
    '/api/admin/policy': Endpoint<OrgPolicy, OrgPolicyView>;
  };
};
/** `path` with the defined `params` as its query string (none: `path` alone). */
export function withQuery<P extends string>(path: P, params: Record<string, string | number | undefined>): P | `${P}?${string}` {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, String(value));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
type Method = keyof Endpoints;
type BodyArgs<E> = E extends Endpoint<infer B, unknown> ? ([B] extends [undefined] ? [] : [body: B]) : never;
type ResultOf<E> = E extends Endpoint<unknown, infer R> ? R : never;

/** The API's error codes, plus CONNECTION_FAILED when no reply arrived at all. */
export type ApiErrorCode = ErrorCode | 'CONNECTION_FAILED';

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

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ErrorCode, code);
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
    const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(
      code,
      response.status,
      typeof error?.message === 'string' ? error.message : response.statusText,
      retryAfter > 0 ? retryAfter : undefined,
    );
  }
  // Session views carry the CSRF token; it changes with each sign-in step.
  if (data && typeof data === 'object') {
    if ('csrfToken' in data && typeof data.csrfToken === 'string') csrfToken = data.csrfToken;
    else if ('signedIn' in data && data.signedIn === false) csrfToken = null;
  }
  return data as ResultOf<Endpoints[M][P]>;
}
