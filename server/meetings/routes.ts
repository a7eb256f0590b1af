/**
 * Meetings over HTTP for signed-in staff: create now or schedule, list one's own, read (with the
 * invitation), edit, delete, and an .ics file for calendars. Each handler: validate (schema) →
 * authorise (requireSession, host or owner) → act → audit.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import icalGenerator from 'ical-generator';
import type { RecintoApp } from '../fastify.ts';
import type { Audit } from '../audit/audit.ts';
import type { AccountStore } from '../auth/accounts.ts';
import type { AuthContext, SessionRequirement } from '../auth/routes.ts';
import { DomainError } from '../errors.ts';
import { CreateMeetingBody, ErrorBody, MeetingList, MeetingParams, MeetingView, UpdateMeetingBody } from '../../protocol/http.ts';
import type { MeetingRegistry } from './registry.ts';
import type { MeetingRecord, MeetingStore } from './store.ts';
import type { RulesSource } from './org-rules.ts';

/** Every route's error replies: the one error body, with the status of its code (server/http/status.ts). */
const errorReplies = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

type Deps = {
  /** The organisation's rules (defaults of a new meeting, E2EE required, guests, recording ceiling), read at each request. */
  rules: RulesSource;
  meetingStore: MeetingStore;
  /** Running meetings: whether one is live (its `e2ee` is then fixed). */
  meetings: MeetingRegistry;
  accounts: AccountStore;
  audit: Audit;
  /** Where invitation links point (the HTTP edge's OriginPolicy): never the request's Host unless it is one of ours. */
  origins: { publicOrigin(request: FastifyRequest): string };
  requireSession: (request: FastifyRequest, need?: SessionRequirement) => AuthContext;
};

export function registerMeetingRoutes(app: RecintoApp, deps: Deps): void {
  const { meetingStore, accounts, audit } = deps;

  const origin = (request: FastifyRequest) => deps.origins.publicOrigin(request);

  /** Hosts see everything, including the invitation; everyone else gets 404 (no probing). */
  const hostView = (request: FastifyRequest, m: MeetingRecord): MeetingView => ({
    ...m,
    hosts: m.hostIds
      .map((id) => accounts.byId(id))
      .filter((a) => a !== undefined)
      .map((a) => ({ id: a.id, username: a.username, displayName: a.displayName })),
    invitation: { link: `${origin(request)}/m/${m.id}`, password: meetingStore.password(m.id) },
  });

  const hostedMeeting = (request: FastifyRequest, id: string, ctx: AuthContext): MeetingRecord => {
    const meeting = meetingStore.get(id);
    if (!meeting || !meeting.hostIds.includes(ctx.account.id)) {
      audit({ action: 'meeting.access', outcome: 'denied', actor: ctx.account.id, meetingId: id, detail: { route: request.routeOptions.url } });
      throw new DomainError('NOT_FOUND', 'no such meeting');
    }
    return meeting;
  };

  /**
   * End-to-end encryption rules of a policy change: never off while E2EE is required (the
   * organisation policy's `e2eeRequired`, from `meetings.e2eeRequired` unless the console saved one),
   * never changed while the meeting is live. Refusals are audited and change nothing.
   */
  const checkE2ee = (ctx: AuthContext, action: string, e2ee: boolean | undefined, current?: MeetingRecord): void => {
    const refuse = (code: 'E2EE_REQUIRED' | 'E2EE_FIXED', message: string): never => {
      audit({ action, outcome: 'denied', actor: ctx.account.id, meetingId: current?.id, detail: { code } });
      throw new DomainError(code, message);
    };
    if (e2ee === false && deps.rules().e2eeRequired)
      refuse('E2EE_REQUIRED', 'policy.e2ee: every meeting on this server is end-to-end encrypted (the organisation policy requires it)');
    if (current && e2ee !== undefined && e2ee !== current.policy.e2ee && deps.meetings.isLive(current.id)) {
      refuse('E2EE_FIXED', 'policy.e2ee: cannot change while someone is in the meeting or waiting');
    }
  };

  const hostIds = (usernames: string[] | undefined): string[] | undefined =>
    usernames?.map((username) => {
      const account = accounts.byUsername(username);
      if (!account || account.disabled) throw new DomainError('INVALID_BODY', `hosts: no active account ${JSON.stringify(username)}`);
      return account.id;
    });

  app.post<{ Body: CreateMeetingBody; Reply: MeetingView }>(
    '/api/meetings',
    { schema: { body: CreateMeetingBody, response: { 201: MeetingView, ...errorReplies } } },
    async (request, reply) => {
      const ctx = deps.requireSession(request);
      const b = request.body;
      checkE2ee(ctx, 'meeting.create', b.policy?.e2ee);
      const meeting = meetingStore.create({
        title: b.title.trim(),
        ownerId: ctx.account.id,
        hostIds: hostIds(b.hosts) ?? [],
        startsAt: b.startsAt ?? null,
        durationMinutes: b.durationMinutes ?? null,
        policy: { ...deps.rules().meetingDefaults, ...b.policy },
        password: b.password ?? true,
      });
      audit({
        action: 'meeting.create',
        outcome: 'ok',
        actor: ctx.account.id,
        meetingId: meeting.id,
        detail: { title: meeting.title, hosts: meeting.hostIds },
      });
      return reply.code(201).send(hostView(request, meeting));
    },
  );

  app.get<{ Reply: MeetingList }>('/api/meetings', { schema: { response: { 200: MeetingList, ...errorReplies } } }, async (request) => {
    const ctx = deps.requireSession(request);
    return meetingStore.listForHost(ctx.account.id).map((m) => hostView(request, m));
  });

  // Reading a meeting by id is where ids could be probed: limit it per address.
  app.get<{ Params: MeetingParams; Reply: MeetingView }>(
    '/api/meetings/:id',
    { schema: { params: MeetingParams, response: { 200: MeetingView, ...errorReplies } }, config: { rateLimit: { max: 60, timeWindow: '1 minute' } } },
    async (request) => {
      const ctx = deps.requireSession(request);
      return hostView(request, hostedMeeting(request, request.params.id, ctx));
    },
  );

  app.patch<{ Params: MeetingParams; Body: UpdateMeetingBody; Reply: MeetingView }>(
    '/api/meetings/:id',
    { schema: { params: MeetingParams, body: UpdateMeetingBody, response: { 200: MeetingView, ...errorReplies } } },
    async (request) => {
      const ctx = deps.requireSession(request);
      const current = hostedMeeting(request, request.params.id, ctx);
      const b = request.body;
      checkE2ee(ctx, 'meeting.update', b.policy?.e2ee, current);
      const hosts = hostIds(b.hosts);
      const updated = meetingStore.update(request.params.id, {
        ...(b.title !== undefined ? { title: b.title.trim() } : {}),
        ...(b.startsAt !== undefined ? { startsAt: b.startsAt } : {}),
        ...(b.durationMinutes !== undefined ? { durationMinutes: b.durationMinutes } : {}),
        ...(hosts ? { hostIds: hosts } : {}),
        ...(b.policy ? { policy: b.policy } : {}),
      });
      audit({ action: 'meeting.update', outcome: 'ok', actor: ctx.account.id, meetingId: updated.id, detail: { changed: Object.keys(b) } });
      return hostView(request, updated);
    },
  );

  app.delete<{ Params: MeetingParams }>('/api/meetings/:id', { schema: { params: MeetingParams, response: errorReplies } }, async (request, reply) => {
    const ctx = deps.requireSession(request);
    const meeting = hostedMeeting(request, request.params.id, ctx);
    if (meeting.ownerId !== ctx.account.id) throw new DomainError('FORBIDDEN', 'only the owner can delete a meeting');
    meetingStore.delete(meeting.id);
    audit({ action: 'meeting.delete', outcome: 'ok', actor: ctx.account.id, meetingId: meeting.id });
    return reply.code(204).send();
  });

  // The calendar entry carries the link only: the password travels separately. Text/calendar,
  // not JSON: no reply schema but the errors'.
  app.get<{ Params: MeetingParams }>(
    '/api/meetings/:id/invite.ics',
    { schema: { params: MeetingParams, response: errorReplies } },
    async (request, reply: FastifyReply) => {
      const ctx = deps.requireSession(request);
      const meeting = hostedMeeting(request, request.params.id, ctx);
      const link = `${origin(request)}/m/${meeting.id}`;
      const start = new Date(meeting.startsAt ?? meeting.createdAt);
      const calendar = icalGenerator({ name: 'Recinto', prodId: { company: 'Recinto', product: 'Recinto' } });
      calendar.createEvent({
        id: `${meeting.id}@recinto`,
        start,
        end: new Date(start.getTime() + (meeting.durationMinutes ?? 60) * 60_000),
        summary: meeting.title,
        url: link,
        description: `${link}\n\nLa contraseña de la reunión se envía por separado. / The meeting password is sent separately.`,
      });
      return reply
        .header('Content-Type', 'text/calendar; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="recinto-${meeting.id}.ics"`)
        .send(calendar.toString());
    },
  );
}
