/**
 * The admin console's HTTP API under /api/admin (protocol/admin.ts, docs/http-api.md
 * "Administration"). Every route: authorise first, for the whole prefix (a preValidation hook: a
 * signed-in `admin`, 2FA done, password current, CSRF on non-GET; a step-up for the routes marked
 * `stepUp`), so nobody else learns even what a route accepts → validate (the route's schemas,
 * querystring included) → act (one verb of a service in server/admin) → audit. Every refusal under
 * the prefix is audited as `admin.refused` with its route and code: those of an authorised
 * administrator at once, the others (signed out, not admin, CSRF: where floods come from)
 * aggregated (server/audit/refusals.ts).
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { RecintoApp } from '../fastify.ts';
import type { Audit } from '../audit/audit.ts';
import type { RefusalAudit } from '../audit/refusals.ts';
import type { BackgroundVerifier } from '../audit/background-verify.ts';
import { exportChunks } from '../audit/export.ts';
import type { AccountStore } from '../auth/accounts.ts';
import { meta, type AuthContext, type SessionRequirement } from '../auth/routes.ts';
import type { AuthService } from '../auth/service.ts';
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/db.ts';
import { ErrorBody } from '../../protocol/http.ts';
import {
  AdminMeetingParams,
  AdminUserPage,
  AdminUserParams,
  AuditExportQuery,
  AuditPage,
  AuditQuery,
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
  UserSearchQuery,
  UserWithPassword,
} from '../../protocol/admin.ts';
import { queryInt, type AuditViewer } from './audit-query.ts';
import type { LiveMeetings } from './meetings.ts';
import type { OrgPolicyStore } from './policy.ts';
import type { StepUpGrants } from './step-up.ts';
import type { SystemStatus } from './system.ts';
import { MAX_PAGE, type AdminActor, type UserAdministration } from './users.ts';

/** Every route's error replies: the one error body, with the status of its code (server/http/status.ts). */
const errorReplies = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export const ADMIN_PREFIX = '/api/admin';

export interface AdminDeps {
  config: Config;
  auth: AuthService;
  accounts: AccountStore;
  requireSession: (request: FastifyRequest, need?: SessionRequirement) => AuthContext;
  users: UserAdministration;
  policy: OrgPolicyStore;
  live: LiveMeetings;
  viewer: AuditViewer;
  verifier: BackgroundVerifier;
  system: SystemStatus;
  stepUp: StepUpGrants;
  db: Db;
  audit: Audit;
  refusals: RefusalAudit;
  version: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An admin console route that needs a step-up (routes.ts). */
    stepUp?: boolean;
  }
}

/** Marks a route that needs a step-up (route config). */
const STEP_UP = { stepUp: true } as const;

const EXPORT_TYPES = { jsonl: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8', cef: 'text/plain; charset=utf-8' } as const;

export async function registerAdminRoutes(app: RecintoApp, deps: AdminDeps): Promise<void> {
  // The plugin's own scope: the hooks below apply to these routes only. Fastify types a child
  // instance with its default server; it is this HTTPS one.
  await app.register(async (admin) => adminRoutes(admin as unknown as RecintoApp, deps), { prefix: ADMIN_PREFIX });
}

function adminRoutes(admin: RecintoApp, deps: AdminDeps): void {
  const { users, policy, live, viewer, verifier, audit } = deps;
  /** The authorised administrator of each request, once the hook has let it through. */
  const authorised = new WeakMap<FastifyRequest, AuthContext>();
  const ctx = (request: FastifyRequest): AuthContext => authorised.get(request)!;
  const by = (request: FastifyRequest): AdminActor => ({ actor: ctx(request).account.id, via: 'console' });
  const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;

  admin.addHook('preValidation', async (request) => {
    const context = deps.requireSession(request, { role: 'admin' });
    authorised.set(request, context);
    if (request.routeOptions.config.stepUp) deps.stepUp.require(context.session.idHash);
  });

  admin.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400) return payload;
    let code = 'INTERNAL';
    try {
      code = (JSON.parse(String(payload)) as ErrorBody).error.code;
    } catch {
      // not the error body: keep INTERNAL
    }
    const context = authorised.get(request);
    const refusal = { action: 'admin.refused', code, ip: request.ip, route: routeOf(request) };
    if (context) audit({ action: 'admin.refused', outcome: 'denied', actor: context.account.id, detail: { code, ip: request.ip, route: refusal.route } });
    else deps.refusals.record(refusal);
    return payload;
  });

  // --- step-up ------------------------------------------------------------------------------

  admin.post<{ Body: StepUpBody; Reply: StepUpView }>(
    '/step-up',
    {
      schema: { body: StepUpBody, response: { 200: StepUpView, ...errorReplies } },
      config: { rateLimit: { max: deps.config.auth.loginAttemptsPerMinutePerIp, timeWindow: '1 minute' } },
    },
    async (request) => {
      const { session } = ctx(request);
      deps.auth.confirmFreshCode(session, request.body.code, 'admin.step_up', meta(request));
      return { until: deps.stepUp.grant(session.idHash) };
    },
  );

  // --- users (audited by the service, shared with `recinto user`) -----------------------------

  admin.get<{ Querystring: UserSearchQuery; Reply: AdminUserPage }>(
    '/users',
    { schema: { querystring: UserSearchQuery, response: { 200: AdminUserPage, ...errorReplies } } },
    async (request) => {
      const q = request.query;
      return users.search(q.q, { offset: queryInt('offset', q.offset, 0, 0, 9_999_999), limit: queryInt('limit', q.limit, 50, 1, MAX_PAGE) });
    },
  );

  admin.post<{ Body: CreateUserBody; Reply: UserWithPassword }>(
    '/users',
    { schema: { body: CreateUserBody, response: { 201: UserWithPassword, ...errorReplies } } },
    async (request, reply) => reply.code(201).send(await users.create(request.body, by(request))),
  );

  const userAction = (path: string, act: (userId: string, actor: AdminActor) => UserActionView, stepUp = false) =>
    admin.post<{ Params: AdminUserParams; Reply: UserActionView }>(
      `/users/:userId/${path}`,
      { schema: { params: AdminUserParams, response: { 200: UserActionView, ...errorReplies } }, config: stepUp ? STEP_UP : {} },
      async (request) => act(request.params.userId, by(request)),
    );
  userAction('disable', (id, actor) => users.setDisabled(id, true, actor));
  userAction('enable', (id, actor) => users.setDisabled(id, false, actor));
  userAction('reset-2fa', (id, actor) => users.resetTotp(id, actor), true);
  userAction('sessions/end', (id, actor) => users.endSessions(id, actor));

  admin.post<{ Params: AdminUserParams; Reply: UserWithPassword }>(
    '/users/:userId/reset-password',
    { schema: { params: AdminUserParams, response: { 200: UserWithPassword, ...errorReplies } } },
    async (request) => users.resetPassword(request.params.userId, by(request)),
  );

  admin.post<{ Params: AdminUserParams; Body: SetRoleBody; Reply: UserActionView }>(
    '/users/:userId/role',
    { schema: { params: AdminUserParams, body: SetRoleBody, response: { 200: UserActionView, ...errorReplies } }, config: STEP_UP },
    async (request) => users.setRole(request.params.userId, request.body.role, by(request)),
  );

  // --- organisation policy ------------------------------------------------------------------

  const policyView = (): OrgPolicyView => {
    const view = policy.view();
    return { ...view, updatedBy: view.updatedBy && (deps.accounts.byId(view.updatedBy)?.username ?? view.updatedBy) };
  };

  admin.get<{ Reply: OrgPolicyView }>('/policy', { schema: { response: { 200: OrgPolicyView, ...errorReplies } } }, async () => policyView());

  admin.put<{ Body: OrgPolicy; Reply: OrgPolicyView }>(
    '/policy',
    { schema: { body: OrgPolicy, response: { 200: OrgPolicyView, ...errorReplies } }, config: STEP_UP },
    async (request) => {
      const { before, after } = policy.save(request.body, ctx(request).account.id);
      audit({ action: 'admin.policy_changed', outcome: 'ok', actor: ctx(request).account.id, detail: { before, after, via: 'console' } });
      return policyView();
    },
  );

  // --- live meetings ------------------------------------------------------------------------

  admin.get<{ Reply: LiveMeetingList }>('/meetings', { schema: { response: { 200: LiveMeetingList, ...errorReplies } } }, async () => ({
    meetings: live.list(),
  }));

  admin.post<{ Params: AdminMeetingParams; Reply: EndedMeetingView }>(
    '/meetings/:meetingId/end',
    { schema: { params: AdminMeetingParams, response: { 200: EndedMeetingView, ...errorReplies } }, config: STEP_UP },
    async (request) => {
      const meetingId = request.params.meetingId;
      const ended = live.end(meetingId);
      audit({ action: 'admin.meeting_ended', outcome: 'ok', actor: ctx(request).account.id, meetingId, detail: { ...ended, via: 'console' } });
      return { ended: true as const, participants: ended.participants };
    },
  );

  // --- audit viewer -------------------------------------------------------------------------

  admin.get<{ Querystring: AuditQuery; Reply: AuditPage }>(
    '/audit',
    { schema: { querystring: AuditQuery, response: { 200: AuditPage, ...errorReplies } } },
    async (request) => viewer.page(request.query),
  );

  admin.get<{ Reply: AuditStatus }>('/audit/status', { schema: { response: { 200: AuditStatus, ...errorReplies } } }, async () =>
    viewer.status(verifier.status()),
  );

  admin.post<{ Reply: AuditStatus }>('/audit/verify', { schema: { response: { 200: AuditStatus, ...errorReplies } } }, async (request) => {
    const started = verifier.start();
    audit({ action: 'admin.audit_verify_started', outcome: 'ok', actor: ctx(request).account.id, detail: { via: 'console' } });
    return viewer.status(started);
  });

  // The file `recinto audit export` writes, in chunks (one short query each) as the client reads.
  admin.get<{ Querystring: AuditExportQuery }>(
    '/audit/export',
    { schema: { querystring: AuditExportQuery, response: errorReplies } },
    async (request, reply) => {
      const { format } = request.query;
      const since = request.query.since === undefined ? undefined : queryInt('since', request.query.since, 0, 0, Number.MAX_SAFE_INTEGER);
      const until = request.query.until === undefined ? undefined : queryInt('until', request.query.until, 0, 0, Number.MAX_SAFE_INTEGER);
      audit({
        action: 'admin.audit_exported',
        outcome: 'ok',
        actor: ctx(request).account.id,
        detail: { format, since: since ?? null, until: until ?? null, via: 'console' },
      });
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .header('Content-Type', EXPORT_TYPES[format])
        .header('Content-Disposition', `attachment; filename="recinto-audit-${day}.${format}"`)
        .send(Readable.from(exportChunks(deps.db, { format, since, until, version: deps.version })));
    },
  );

  // --- system -------------------------------------------------------------------------------

  admin.get<{ Reply: SystemView }>('/system', { schema: { response: { 200: SystemView, ...errorReplies } } }, async () => deps.system.view());
}
