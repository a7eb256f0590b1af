/**
 * The admin console's HTTP API (`/api/admin/…`, docs/http-api.md "Administration"): for accounts
 * with the `admin` role only, 2FA done. Same conventions as protocol/http.ts: requests are exact
 * and bounded, replies are the server's own data. Sensitive actions (reset 2FA, change a role,
 * change the organisation policy, end a meeting) need a step-up: a fresh TOTP code sent to
 * `POST /api/admin/step-up`, valid for this session for five minutes; without it they answer
 * `STEP_UP_REQUIRED`. The console never shows content: no chat, no media, no meeting passwords.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DisplayName, MeetingId } from './ids.ts';
import { MeetingPolicy } from './policy.ts';
import { StringEnum } from './string-enum.ts';
import { Role } from './http.ts';

const Strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Type.Integer({ minimum: 0 });
const Id = Type.String({ maxLength: 64 });
const Count = Type.Integer({ minimum: 0 });
/** Query-string integers arrive as text: digits only, parsed by the route. */
const QueryInt = (maxLength: number) => Type.String({ pattern: '^[0-9]+$', maxLength });
const QueryTime = QueryInt(16);

// --- step-up ------------------------------------------------------------------------------------

export const StepUpBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, Strict);
export type StepUpBody = Static<typeof StepUpBody>;
/** Until when this session may take sensitive actions without another code. */
export const StepUpView = Type.Object({ until: Timestamp }, Strict);
export type StepUpView = Static<typeof StepUpView>;

// --- users --------------------------------------------------------------------------------------

/** Lowercase login name, as `recinto user add` accepts it. */
export const Username = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$' });

export const UserSearchQuery = Type.Object(
  {
    /** Part of the username or display name (case-insensitive); absent: everyone. */
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    offset: Type.Optional(QueryInt(7)),
    /** 1–200, default 50. */
    limit: Type.Optional(QueryInt(3)),
  },
  Strict,
);
export type UserSearchQuery = Static<typeof UserSearchQuery>;

export const AdminUser = Type.Object(
  {
    id: Id,
    username: Type.String({ maxLength: 64 }),
    displayName: Type.String({ maxLength: 64 }),
    role: Role,
    disabled: Type.Boolean(),
    /** Two-factor authentication set up. */
    totp: Type.Boolean(),
    /** Must change the one-time password at next sign-in. */
    mustChangePassword: Type.Boolean(),
    createdAt: Timestamp,
    lastLoginAt: Nullable(Timestamp),
    /** Live sessions. */
    sessions: Count,
  },
  Strict,
);
export type AdminUser = Static<typeof AdminUser>;
export const AdminUserPage = Type.Object({ users: Type.Array(AdminUser, { maxItems: 200 }), total: Count }, Strict);
export type AdminUserPage = Static<typeof AdminUserPage>;

export const CreateUserBody = Type.Object({ username: Username, displayName: DisplayName, role: Role }, Strict);
export type CreateUserBody = Static<typeof CreateUserBody>;
/** The one-time password is shown once, here, and never stored in clear. */
export const UserWithPassword = Type.Object({ user: AdminUser, oneTimePassword: Type.String({ maxLength: 64 }) }, Strict);
export type UserWithPassword = Static<typeof UserWithPassword>;
export const UserActionView = Type.Object({ user: AdminUser, sessionsEnded: Count }, Strict);
export type UserActionView = Static<typeof UserActionView>;
export const SetRoleBody = Type.Object({ role: Role }, Strict);
export type SetRoleBody = Static<typeof SetRoleBody>;
export const AdminUserParams = Type.Object({ userId: Type.String({ format: 'uuid' }) }, Strict);
export type AdminUserParams = Static<typeof AdminUserParams>;

// --- organisation policy -------------------------------------------------------------------------

/** Session lifetimes: the same bounds as `auth.sessionIdleMinutes` / `auth.sessionAbsoluteHours`. */
export const SessionIdleMinutes = Type.Integer({ minimum: 1, maximum: 24 * 60 });
export const SessionAbsoluteHours = Type.Integer({ minimum: 1, maximum: 7 * 24 });

/**
 * The organisation's rules, stored in the database over the configuration file's values (the
 * file gives the starting point; a saved policy wins). `meetingDefaults` is `meetings.policy`.
 */
export const OrgPolicy = Type.Object(
  {
    meetingDefaults: MeetingPolicy,
    /** `meetings.e2eeRequired`: no meeting may be created or changed to run without E2EE. */
    e2eeRequired: Type.Boolean(),
    /** false: no meeting admits guests (`guests: 'none'` forced; guest entry refused). */
    guestsAllowed: Type.Boolean(),
    /** The most any meeting may allow to record (a ceiling over each meeting's `recording`). */
    recordingMax: StringEnum(['nobody', 'host', 'everyone']),
    sessionIdleMinutes: SessionIdleMinutes,
    sessionAbsoluteHours: SessionAbsoluteHours,
  },
  Strict,
);
export type OrgPolicy = Static<typeof OrgPolicy>;
export const OrgPolicyView = Type.Object(
  {
    policy: OrgPolicy,
    /** `config`: nothing saved yet, the file's values; `database`: saved from the console. */
    source: StringEnum(['config', 'database']),
    updatedAt: Nullable(Timestamp),
    updatedBy: Nullable(Type.String({ maxLength: 64 })),
  },
  Strict,
);
export type OrgPolicyView = Static<typeof OrgPolicyView>;

// --- live meetings -------------------------------------------------------------------------------

export const LiveMeeting = Type.Object(
  {
    id: Id,
    title: Type.String({ maxLength: 200 }),
    /** Display names of the hosts (owner and further hosts). */
    hosts: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 21 }),
    participants: Count,
    waiting: Count,
    /** When the meeting started running on this server. */
    since: Timestamp,
    e2ee: Type.Boolean(),
    locked: Type.Boolean(),
  },
  Strict,
);
export type LiveMeeting = Static<typeof LiveMeeting>;
export const LiveMeetingList = Type.Object({ meetings: Type.Array(LiveMeeting) }, Strict);
export type LiveMeetingList = Static<typeof LiveMeetingList>;
export const AdminMeetingParams = Type.Object({ meetingId: MeetingId }, Strict);
export type AdminMeetingParams = Static<typeof AdminMeetingParams>;
export const EndedMeetingView = Type.Object({ ended: Type.Literal(true), participants: Count }, Strict);
export type EndedMeetingView = Static<typeof EndedMeetingView>;

// --- audit viewer --------------------------------------------------------------------------------

export const AuditOutcome = StringEnum(['ok', 'denied', 'error']);
export const AuditQuery = Type.Object(
  {
    /** Milliseconds since the epoch, inclusive / exclusive. */
    since: Type.Optional(QueryTime),
    until: Type.Optional(QueryTime),
    /** A username, or an actor id as stored (a user id, `cli:…`, `first-start`). */
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** An exact action (`auth.login`) or a prefix ending in a dot (`admin.`). */
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_.]+$' })),
    meeting: Type.Optional(MeetingId),
    outcome: Type.Optional(AuditOutcome),
    /** Keyset paging, newest first: records with `seq` below this one. */
    before: Type.Optional(QueryInt(16)),
    /** 1–500, default 100. */
    limit: Type.Optional(QueryInt(3)),
  },
  Strict,
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditRecordView = Type.Object(
  {
    seq: Count,
    at: Timestamp,
    action: Type.String({ maxLength: 128 }),
    actor: Nullable(Type.String({ maxLength: 128 })),
    /** The actor's username when the actor is an account. */
    actorName: Nullable(Type.String({ maxLength: 64 })),
    meetingId: Nullable(Type.String({ maxLength: 64 })),
    outcome: AuditOutcome,
    /** The record's detail object as stored (JSON text). */
    detail: Type.String({ maxLength: 65_536 }),
    hash: Type.String({ maxLength: 64 }),
  },
  Strict,
);
export type AuditRecordView = Static<typeof AuditRecordView>;
/** `next`: the `before` of the following page; null at the end. */
export const AuditPage = Type.Object({ records: Type.Array(AuditRecordView, { maxItems: 500 }), next: Nullable(Count) }, Strict);
export type AuditPage = Static<typeof AuditPage>;

export const AuditCheckpointView = Type.Object({ seq: Count, at: Timestamp, hash: Type.String({ maxLength: 64 }) }, Strict);
/** The chain's last verification (run in the background; `POST /api/admin/audit/verify` starts one). */
export const AuditVerification = Type.Object(
  {
    state: StringEnum(['never', 'running', 'ok', 'failed']),
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
    records: Count,
    checkpoints: Count,
    /** What failed, in the words of `recinto audit verify` (the first bad record). */
    problem: Nullable(Type.String({ maxLength: 1024 })),
  },
  Strict,
);
export type AuditVerification = Static<typeof AuditVerification>;
export const AuditStatus = Type.Object(
  { records: Count, lastSeq: Count, lastCheckpoint: Nullable(AuditCheckpointView), verification: AuditVerification },
  Strict,
);
export type AuditStatus = Static<typeof AuditStatus>;
export const AuditExportQuery = Type.Object(
  { format: StringEnum(['jsonl', 'csv', 'cef']), since: Type.Optional(QueryTime), until: Type.Optional(QueryTime) },
  Strict,
);
export type AuditExportQuery = Static<typeof AuditExportQuery>;

// --- system --------------------------------------------------------------------------------------

export const SystemView = Type.Object(
  {
    version: Type.String({ maxLength: 32 }),
    node: Type.String({ maxLength: 32 }),
    mediasoup: Type.String({ maxLength: 32 }),
    startedAt: Timestamp,
    draining: Type.Boolean(),
    workers: Type.Array(
      Type.Object(
        {
          index: Count,
          alive: Type.Boolean(),
          pid: Nullable(Count),
          /** CPU used since the last reading, percent of one core. */
          cpuPercent: Nullable(Type.Number({ minimum: 0 })),
          routers: Count,
          consumers: Count,
        },
        Strict,
      ),
      { maxItems: 1024 },
    ),
    certificate: Type.Object(
      {
        subject: Type.String({ maxLength: 512 }),
        issuer: Type.String({ maxLength: 512 }),
        notAfter: Timestamp,
        daysLeft: Type.Integer(),
        selfSigned: Type.Boolean(),
      },
      Strict,
    ),
    /** Audit records each SIEM destination has not acknowledged yet. */
    siem: Type.Array(Type.Object({ destination: StringEnum(['syslog', 'https']), pending: Count }, Strict), { maxItems: 2 }),
    database: Type.Object({ bytes: Count }, Strict),
  },
  Strict,
);
export type SystemView = Static<typeof SystemView>;
