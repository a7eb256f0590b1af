/**
 * Guests: someone without an account enters a meeting with its password. They always wait in the
 * waiting room until a host admits them (signalling enforces it). Wrong passwords are limited per
 * address and per meeting; an unknown meeting and a wrong password get the same answer.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { RecintoApp } from '../app.ts';
import type { Audit } from '../audit/audit.ts';
import { GUEST_COOKIE, hashDeviceToken, isDeviceToken, newDeviceToken, type GuestSessionStore } from '../auth/guest-sessions.ts';
import type { Config } from '../config/schema.ts';
import { HttpError } from '../http/errors.ts';
import { DisplayName, MeetingId } from '../signaling/protocol.ts';
import { FailureLimiter } from '../signaling/rate-limit.ts';
import type { MeetingStore } from './store.ts';

const GuestBody = Type.Object(
  { displayName: DisplayName, password: Type.String({ minLength: 1, maxLength: 64 }), deviceToken: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: MeetingId }, { additionalProperties: false });

export function registerGuestRoutes(app: RecintoApp, deps: { config: Config; meetingStore: MeetingStore; guests: GuestSessionStore; audit: Audit }): void {
  // Ten wrong passwords per meeting, then one a minute: a 46-bit password cannot be guessed.
  const wrongPasswords = new FailureLimiter(10, 60);
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof GuestBody> }>(
    '/api/meetings/:id/guest',
    { schema: { params: IdParams, body: GuestBody }, config: { rateLimit: { max: deps.config.auth.loginAttemptsPerMinutePerIp, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const meetingId = request.params.id;
      const deny = (code: 'INVALID_CREDENTIALS' | 'GUESTS_NOT_ALLOWED' | 'TOO_MANY_ATTEMPTS', status: number, message: string): never => {
        deps.audit({ action: 'guest.enter', outcome: 'denied', meetingId, detail: { code, ip: request.ip } });
        throw new HttpError(status, code, message);
      };
      if (!wrongPasswords.allowed(meetingId)) deny('TOO_MANY_ATTEMPTS', 429, 'too many wrong passwords for this meeting; wait a minute');
      const meeting = deps.meetingStore.get(meetingId);
      if (!meeting || !deps.meetingStore.checkPassword(meetingId, request.body.password)) {
        wrongPasswords.fail(meetingId);
        deny('INVALID_CREDENTIALS', 401, 'wrong meeting or password');
      }
      if (meeting!.policy.guests !== 'password') deny('GUESTS_NOT_ALLOWED', 403, 'this meeting is for staff only');

      const deviceToken = isDeviceToken(request.body.deviceToken) ? request.body.deviceToken : newDeviceToken();
      const deviceHash = hashDeviceToken(deviceToken);
      const { id } = deps.guests.create(meetingId, request.body.displayName, deviceHash);
      reply.setCookie(GUEST_COOKIE, id, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
      deps.audit({ action: 'guest.enter', outcome: 'ok', actor: `guest:${deviceHash.slice(0, 16)}`, meetingId, detail: { displayName: request.body.displayName, ip: request.ip } });
      return { deviceToken, meetingId, displayName: request.body.displayName };
    },
  );
}
