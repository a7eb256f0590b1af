/**
 * The HTTP API on the wire (docs/http-api.md): every route's request body and params, and every
 * reply body, as TypeBox schemas. The routes validate requests with them and serialise replies
 * with them (Fastify drops what a reply schema does not name: keep them complete); the browser
 * client takes their `Static` types only (`import type`: it never bundles TypeBox).
 *
 * Requests are untrusted: exact shapes, bounded strings and arrays. Replies are the server's own
 * data: bounded where the server guarantees the bound, and without patterns or formats (a reply
 * schema checks nothing, and inside a union a pattern the data missed would turn a reply into an
 * internal error). Lists the server does not cap today (one's meetings, one's sessions, the
 * accounts) carry no `maxItems`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ErrorCode } from './errors.ts';
import { DisplayName, MeetingId, Title } from './ids.ts';
import { MeetingPolicy, MeetingPolicyPatch } from './policy.ts';
import { StringEnum } from './string-enum.ts';

const Strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Milliseconds since the epoch. */
const Timestamp = Type.Integer({ minimum: 0 });
/** Server-made ids in replies (UUIDs, meeting ids, session hashes). */
const Id = Type.String({ maxLength: 64 });
const Count = Type.Integer({ minimum: 0 });

// --- errors ------------------------------------------------------------------------------------

/** Every refusal: `{ error: { code, message } }`; the status is server/http/status.ts's. */
export const ErrorBody = Type.Object(
  { error: Type.Object({ code: StringEnum(Object.values(ErrorCode)), message: Type.String({ maxLength: 4096 }) }, Strict) },
  Strict,
);
export type ErrorBody = Static<typeof ErrorBody>;

// --- sign-in and sessions: requests -------------------------------------------------------------

export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 128 }) },
  Strict,
);
export type LoginBody = Static<typeof LoginBody>;

const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });
/** A TOTP code, or one of the account's recovery codes. */
export const SecondFactorBody = Type.Union([
  Type.Object({ code: TotpCode }, Strict),
  Type.Object({ recoveryCode: Type.String({ minLength: 1, maxLength: 32 }) }, Strict),
]);
export type SecondFactorBody = Static<typeof SecondFactorBody>;

export const ConfirmEnrolmentBody = Type.Object({ code: TotpCode }, Strict);
export type ConfirmEnrolmentBody = Static<typeof ConfirmEnrolmentBody>;

/** Up to 4×128 so the password policy, not the schema, explains a too-long new password. */
export const PasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 128 }), newPassword: Type.String({ maxLength: 512 }) },
  Strict,
);
export type PasswordBody = Static<typeof PasswordBody>;

/** One of the caller's sessions, by the id the account view lists (the base64url SHA-256). */
export const SessionParams = Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }, Strict);
export type SessionParams = Static<typeof SessionParams>;

// --- sign-in and sessions: replies --------------------------------------------------------------

export const Role = StringEnum(['admin', 'staff']);
export type Role = Static<typeof Role>;
export const SessionStage = StringEnum(['password', 'verified']);
export type SessionStage = Static<typeof SessionStage>;
/** The sign-in step still to do; null once the account may use meetings. */
export const NextStep = Nullable(StringEnum(['second-factor', 'enrol', 'change-password']));
export type NextStep = Static<typeof NextStep>;

const Username = Type.String({ maxLength: 64 });
const Name = Type.String({ maxLength: 64 });

export const UserView = Type.Object({ id: Id, username: Username, displayName: Name, role: Role }, Strict);
export type UserView = Static<typeof UserView>;

const signedIn = {
  signedIn: Type.Literal(true),
  user: UserView,
  stage: SessionStage,
  next: NextStep,
  /** Sent back in `x-csrf-token` on every state-changing request; changes with each step. */
  csrfToken: Type.String({ maxLength: 128 }),
};
/** What the API says about the caller's signed-in session. */
export const SignedInView = Type.Object(signedIn, Strict);
export type SignedInView = Static<typeof SignedInView>;
export const SignedOutView = Type.Object({ signedIn: Type.Literal(false) }, Strict);
export type SignedOutView = Static<typeof SignedOutView>;
export const SessionView = Type.Union([SignedInView, SignedOutView]);
export type SessionView = Static<typeof SessionView>;

/** A pending TOTP secret, shown once as text, URI and QR code (SVG). */
export const Enrolment = Type.Object(
  { secret: Type.String({ maxLength: 128 }), uri: Type.String({ maxLength: 2048 }), qrSvg: Type.String({ maxLength: 262_144 }) },
  Strict,
);
export type Enrolment = Static<typeof Enrolment>;

/** Ten single-use codes, shown once. */
const RecoveryCodes = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 });
export const RecoveryCodesView = Type.Object({ recoveryCodes: RecoveryCodes }, Strict);
export type RecoveryCodesView = Static<typeof RecoveryCodesView>;

export const EnrolledView = Type.Object({ ...signedIn, recoveryCodes: RecoveryCodes }, Strict);
export type EnrolledView = Static<typeof EnrolledView>;

/** A session's browser and system in plain words (from its User-Agent; null when it says nothing known). */
export const SessionDevice = Type.Object(
  {
    browser: Nullable(Type.String({ maxLength: 64 })),
    system: Nullable(Type.String({ maxLength: 64 })),
    mobile: Type.Boolean(),
  },
  Strict,
);
export type SessionDevice = Static<typeof SessionDevice>;

/** One of the account's live sessions (`id` ends it: POST /api/account/sessions/:id/end). */
export const SessionInfo = Type.Object(
  {
    id: Id,
    current: Type.Boolean(),
    createdAt: Timestamp,
    lastSeenAt: Timestamp,
    ip: Nullable(Type.String({ maxLength: 64 })),
    userAgent: Nullable(Type.String({ maxLength: 256 })),
    device: SessionDevice,
  },
  Strict,
);
export type SessionInfo = Static<typeof SessionInfo>;

export const AccountView = Type.Object({ ...signedIn, recoveryCodesLeft: Count, sessions: Type.Array(SessionInfo) }, Strict);
export type AccountView = Static<typeof AccountView>;

/** How many sessions a revocation ended. */
export const EndedView = Type.Object({ ended: Count }, Strict);
export type EndedView = Static<typeof EndedView>;
/** "Sign out everywhere": this browser is signed out too. */
export const SignedOutEverywhereView = Type.Object({ signedIn: Type.Literal(false), ended: Count }, Strict);
export type SignedOutEverywhereView = Static<typeof SignedOutEverywhereView>;

// --- single sign-on (OpenID Connect, docs/sso.md) -----------------------------------------------

/** Where a sign-in may return to: the account page or a meeting (the client's own rule, paths.ts). */
export const ReturnPath = Type.String({ maxLength: 67, pattern: '^/(account|m/[a-z0-9]+(-[a-z0-9]+)*)$' });
/** `GET /api/auth/oidc/start?next=`: a browser navigation (the login page's button). */
export const SsoStartQuery = Type.Object({ next: Type.Optional(ReturnPath) }, Strict);
export type SsoStartQuery = Static<typeof SsoStartQuery>;
/**
 * `GET /api/auth/oidc/callback`: the provider's answer (RFC 6749 4.1.2), a code or an error,
 * and what providers add (`iss` RFC 9207, `session_state`…): a few bounded strings.
 */
export const SsoCallbackQuery = Type.Object({}, { additionalProperties: Type.String({ maxLength: 4096 }), maxProperties: 16 });
export type SsoCallbackQuery = Static<typeof SsoCallbackQuery>;
/** `GET /api/auth/oidc`: whether the login page offers "Sign in with <label>"; `available`: the provider's metadata is known. */
export const SsoInfo = Type.Union([
  Type.Object({ enabled: Type.Literal(true), label: Type.String({ maxLength: 40 }), available: Type.Boolean() }, Strict),
  Type.Object({ enabled: Type.Literal(false) }, Strict),
]);
export type SsoInfo = Static<typeof SsoInfo>;

// --- meetings: requests -------------------------------------------------------------------------

const Schedule = {
  /** Start, in milliseconds since the epoch; absent: an instant meeting. */
  startsAt: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 8.64e15 }))),
  durationMinutes: Type.Optional(Nullable(Type.Integer({ minimum: 5, maximum: 24 * 60 }))),
  /** Usernames of further hosts (the creator always is one). */
  hosts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20, uniqueItems: true })),
  /** Merged over the configured defaults (create) or the meeting's own (edit). */
  policy: Type.Optional(MeetingPolicyPatch),
};
/** `password: false`: no meeting password (then no guests). */
export const CreateMeetingBody = Type.Object({ title: Title, ...Schedule, password: Type.Optional(Type.Boolean()) }, Strict);
export type CreateMeetingBody = Static<typeof CreateMeetingBody>;
export const UpdateMeetingBody = Type.Object({ title: Type.Optional(Title), ...Schedule }, { ...Strict, minProperties: 1 });
export type UpdateMeetingBody = Static<typeof UpdateMeetingBody>;
export const MeetingParams = Type.Object({ id: MeetingId }, Strict);
export type MeetingParams = Static<typeof MeetingParams>;

export const GuestBody = Type.Object(
  { displayName: DisplayName, password: Type.String({ minLength: 1, maxLength: 64 }), deviceToken: Type.Optional(Type.String({ maxLength: 64 })) },
  Strict,
);
export type GuestBody = Static<typeof GuestBody>;

// --- meetings: replies --------------------------------------------------------------------------

/** How people are invited: the link, and the password for guests (null: the meeting has none). */
export const Invitation = Type.Object({ link: Type.String({ maxLength: 2048 }), password: Nullable(Type.String({ maxLength: 64 })) }, Strict);
export type Invitation = Static<typeof Invitation>;

export const MeetingHost = Type.Object({ id: Id, username: Username, displayName: Name }, Strict);
export type MeetingHost = Static<typeof MeetingHost>;

/** The owner and at most 20 further hosts. */
const MAX_HOSTS = 21;
/** A meeting as its hosts see it (GET/POST/PATCH /api/meetings…): everything, with the invitation. */
export const MeetingView = Type.Object(
  {
    id: Id,
    title: Type.String({ maxLength: 200 }),
    ownerId: Nullable(Id),
    hostIds: Type.Array(Id, { maxItems: MAX_HOSTS }),
    hosts: Type.Array(MeetingHost, { maxItems: MAX_HOSTS }),
    startsAt: Nullable(Timestamp),
    durationMinutes: Nullable(Type.Integer({ minimum: 0 })),
    policy: MeetingPolicy,
    hasPassword: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Nullable(Timestamp),
    invitation: Invitation,
  },
  Strict,
);
export type MeetingView = Static<typeof MeetingView>;
export const MeetingList = Type.Array(MeetingView);
export type MeetingList = Static<typeof MeetingList>;

/** A guest's entry to one meeting; the browser keeps `deviceToken` (a ban is per browser). */
export const GuestEntry = Type.Object({ deviceToken: Type.String({ maxLength: 64 }), meetingId: Id, displayName: Name }, Strict);
export type GuestEntry = Static<typeof GuestEntry>;
