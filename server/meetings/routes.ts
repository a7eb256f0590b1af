/**
 * Meetings over HTTP for signed-in staff: create now or schedule, list one's own, read (with the
 * invitation), edit, delete, and an .ics file for calendars. Each handler: validate (schema) →
 * authorise (requireSession, host or owner) → act → audit.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import icalGenerator from 'ical-generator';
import type { RecintoApp } from '../app.ts';
import type { Audit } from '../audit/audit.ts';
import type { AccountStore } from '../auth/accounts.ts';
import type { AuthContext, SessionRequirement } from '../auth/routes.ts';
import type { Config } from '../config/schema.ts';
import { HttpError } from '../http/errors.ts';
import type { OriginPolicy } from '../http/origin.ts';
import { MeetingId, Title } from '../../protocol/ids.ts';
import { MeetingPolicyPatch } from '../../protocol/policy.ts';
import type { MeetingRegistry } from './registry.ts';
import type { MeetingRecord, MeetingStore } from './store.ts';

const Schedule = {
  /** Start, in milliseconds since the epoch; absent: an instant meeting. */
  startsAt: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 8.64e15 }), Type.Null()])),
  durationMinutes: Type.Optional(Type.Union([Type.Integer({ minimum: 5, maximum: 24 * 60 }), Type.Null()])),
  /** Usernames of further hosts (the creator always is one). */
  hosts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20, uniqueItems: true })),
  policy: Type.Optional(MeetingPolicyPatch),
};
const CreateBody = Type.Object({ title: Title, ...Schedule, password: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const UpdateBody = Type.Object({ title: Type.Optional(Title), ...Schedule }, { additionalProperties: false, minProperties: 1 });
const IdParams = Type.Object({ id: MeetingId }, { additionalProperties: false });

type Deps = {
  config: Config;
  meetingStore: MeetingStore;
  /** Running meetings: whether one is live (its `e2ee` is then fixed). */
  meetings: MeetingRegistry;
  accounts: AccountStore;
  audit: Audit;
  /** Where invitation links point: never the request's Host unless it is one of ours. */
  origins: OriginPolicy;
  requireSession: (request: FastifyRequest, need?: SessionRequirement) => AuthContext;
};

export function registerMeetingRoutes(app: RecintoApp, deps: Deps): void {
  const { meetingStore, accounts, audit } = deps;

  const origin = (request: FastifyRequest) => deps.origins.publicOrigin(request);

  /** Hosts see everything, including the invitation; everyone else gets 404 (no probing). */
  const hostView = (request: FastifyRequest, m: MeetingRecord) => ({
    ...m,
    hosts: m.hostIds.map((id) => accounts.byId(id)).filter((a) => a !== undefined).map((a) => ({ id: a.id, username: a.username, displayName: a.displayName })),
    invitation: { link: `${origin(request)}/m/${m.id}`, password: meetingStore.password(m.id) },
  });

  const hostedMeeting = (request: FastifyRequest, id: string, ctx: AuthContext): MeetingRecord => {
    const meeting = meetingStore.get(id);
    if (!meeting || !meeting.hostIds.includes(ctx.account.id)) {
      audit({ action: 'meeting.access', outcome: 'denied', actor: ctx.account.id, meetingId: id, detail: { route: request.routeOptions.url } });
      throw new HttpError(404, 'NOT_FOUND', 'no such meeting');
    }
    return meeting;
  };

  /**
   * End-to-end encryption rules of a policy change: never off while `meetings.e2eeRequired`,
   * never changed while the meeting is live. Refusals are audited and change nothing.
   */
  const checkE2ee = (ctx: AuthContext, action: string, e2ee: boolean | undefined, current?: MeetingRecord): void => {
    const refuse = (status: number, code: 'E2EE_REQUIRED' | 'E2EE_FIXED', message: string): never => {
      audit({ action, outcome: 'denied', actor: ctx.account.id, meetingId: current?.id, detail: { code } });
      throw new HttpError(status, code, message);
    };
    if (e2ee === false && deps.config.meetings.e2eeRequired) refuse(400, 'E2EE_REQUIRED', 'policy.e2ee: every meeting on this server is end-to-end encrypted (meetings.e2eeRequired)');
    if (current && e2ee !== undefined && e2ee !== current.policy.e2ee && deps.meetings.isLive(current.id)) {
      refuse(409, 'E2EE_FIXED', 'policy.e2ee: cannot change while someone is in the meeting or waiting');
    }
  };

  const hostIds = (usernames: string[] | undefined): string[] | undefined =>
    usernames?.map((username) => {
      const account = accounts.byUsername(username);
      if (!account || account.disabled) throw new HttpError(400, 'INVALID_BODY', `hosts: no active account ${JSON.stringify(username)}`);
      return account.id;
    });

  app.post<{ Body: Static<typeof CreateBody> }>('/api/meetings', { schema: { body: CreateBody } }, async (request, reply) => {
    const ctx = deps.requireSession(request);
    const b = request.body;
    checkE2ee(ctx, 'meeting.create', b.policy?.e2ee);
    const meeting = meetingStore.create({
      title: b.title.trim(),
      ownerId: ctx.account.id,
      hostIds: hostIds(b.hosts) ?? [],
      startsAt: b.startsAt ?? null,
      durationMinutes: b.durationMinutes ?? null,
      policy: { ...deps.config.meetings.policy, ...b.policy },
      password: b.password ?? true,
    });
    audit({ action: 'meeting.create', outcome: 'ok', actor: ctx.account.id, meetingId: meeting.id, detail: { title: meeting.title, hosts: meeting.hostIds } });
    return reply.code(201).send(hostView(request, meeting));
  });

  app.get('/api/meetings', async (request) => {
    const ctx = deps.requireSession(request);
    return meetingStore.listForHost(ctx.account.id).map((m) => hostView(request, m));
  });

  // Reading a meeting by id is where ids could be probed: limit it per address.
  app.get<{ Params: Static<typeof IdParams> }>('/api/meetings/:id', { schema: { params: IdParams }, config: { rateLimit: { max: 60, timeWindow: '1 minute' } } }, async (request) => {
    const ctx = deps.requireSession(request);
    return hostView(request, hostedMeeting(request, request.params.id, ctx));
  });

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateBody> }>(
    '/api/meetings/:id',
    { schema: { params: IdParams, body: UpdateBody } },
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

  app.delete<{ Params: Static<typeof IdParams> }>('/api/meetings/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const ctx = deps.requireSession(request);
    const meeting = hostedMeeting(request, request.params.id, ctx);
    if (meeting.ownerId !== ctx.account.id) throw new HttpError(403, 'FORBIDDEN', 'only the owner can delete a meeting');
    meetingStore.delete(meeting.id);
    audit({ action: 'meeting.delete', outcome: 'ok', actor: ctx.account.id, meetingId: meeting.id });
    return reply.code(204).send();
  });

  // The calendar entry carries the link only: the password travels separately.
  app.get<{ Params: Static<typeof IdParams> }>('/api/meetings/:id/invite.ics', { schema: { params: IdParams } }, async (request, reply: FastifyReply) => {
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
  });
}
