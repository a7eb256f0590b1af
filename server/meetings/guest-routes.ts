/**
 * Guests: someone without an account enters a meeting with its password. They always wait in the
 * waiting room until a host admits them (signalling enforces it). An unknown meeting and a wrong
 * password get the same answer. A browser banned from the meeting is refused, and every guest while
 * the organisation policy allows none.
 *
 * Wrong passwords are counted per address and per browser (device token): ten, then one a minute,
 * and the refusal says how long to wait. Someone else's failures never refuse a right password.
 * Each meeting also has a ceiling no single address reaches (100 wrong passwords, then one per
 * 10 s): past it — many addresses guessing together — each address gets one try a minute on that
 * meeting, and the attack is audited.
 */
import type { RecintoApp } from '../fastify.ts';
import type { Audit } from '../audit/audit.ts';
import { GUEST_COOKIE, guestAccountId, hashDeviceToken, isDeviceToken, newDeviceToken, type GuestSessionStore } from '../auth/guest-sessions.ts';
import type { Config } from '../config/schema.ts';
import { DomainError } from '../errors.ts';
import { ErrorBody, GuestBody, GuestEntry, MeetingParams } from '../../protocol/http.ts';
import { FailureLimiter } from '../rate-limit.ts';
import type { MeetingStore } from './store.ts';
import type { RulesSource } from './org-rules.ts';

/** Every route's error replies: the one error body, with the status of its code (server/http/status.ts). */
const errorReplies = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export function registerGuestRoutes(
  app: RecintoApp,
  deps: { config: Config; rules: RulesSource; meetingStore: MeetingStore; guests: GuestSessionStore; audit: Audit },
): void {
  const perAddress = new FailureLimiter(10, 60);
  const perDevice = new FailureLimiter(10, 60);
  const perMeeting = new FailureLimiter(100, 10);
  /** Under a distributed attack on one meeting: one try a minute per address, no burst. */
  const perAddressUnderAttack = new FailureLimiter(1, 60);

  app.post<{ Params: MeetingParams; Body: GuestBody; Reply: GuestEntry }>(
    '/api/meetings/:id/guest',
    {
      schema: { params: MeetingParams, body: GuestBody, response: { 200: GuestEntry, ...errorReplies } },
      config: { rateLimit: { max: deps.config.auth.loginAttemptsPerMinutePerIp, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const meetingId = request.params.id;
      const deny = (
        code: 'INVALID_CREDENTIALS' | 'GUESTS_NOT_ALLOWED' | 'TOO_MANY_ATTEMPTS' | 'BANNED',
        message: string,
        retryAfterSeconds?: number,
      ): never => {
        deps.audit({ action: 'guest.enter', outcome: 'denied', meetingId, detail: { code, ip: request.ip } });
        throw new DomainError(code, message, { retryAfterSeconds });
      };
      // The organisation admits no guests at all (its policy): refused before any password is judged.
      if (!deps.rules().guestsAllowed) deny('GUESTS_NOT_ALLOWED', 'this server admits no guests');
      const sentToken = isDeviceToken(request.body.deviceToken) ? request.body.deviceToken : undefined;
      const deviceHash = sentToken ? hashDeviceToken(sentToken) : undefined;
      const underAttack = !perMeeting.allowed(meetingId);
      const attackKey = `${meetingId} ${request.ip}`;
      // Only this address's and this browser's own failures can make it wait.
      const wait = Math.max(
        perAddress.retryAfterSeconds(request.ip),
        deviceHash ? perDevice.retryAfterSeconds(deviceHash) : 0,
        underAttack ? perAddressUnderAttack.retryAfterSeconds(attackKey) : 0,
      );
      if (wait > 0) deny('TOO_MANY_ATTEMPTS', `too many wrong passwords from here; try again in ${wait} s`, wait);

      const meeting = deps.meetingStore.get(meetingId);
      if (!meeting || !deps.meetingStore.checkPassword(meetingId, request.body.password)) {
        perAddress.fail(request.ip);
        if (deviceHash) perDevice.fail(deviceHash);
        perMeeting.fail(meetingId);
        if (underAttack) perAddressUnderAttack.fail(attackKey);
        else if (!perMeeting.allowed(meetingId)) deps.audit({ action: 'guest.password_guessing', outcome: 'denied', meetingId, detail: { ip: request.ip } });
        deny('INVALID_CREDENTIALS', 'wrong meeting or password');
      }
      if (meeting!.policy.guests !== 'password') deny('GUESTS_NOT_ALLOWED', 'this meeting is for staff only');
      // A banned browser is refused for good (a fresh one needs the password, changed at the ban).
      if (deviceHash && deps.meetingStore.isBanned(meetingId, guestAccountId(deviceHash))) deny('BANNED', 'a host removed you from this meeting');

      const deviceToken = sentToken ?? newDeviceToken();
      const device = deviceHash ?? hashDeviceToken(deviceToken);
      const { id } = deps.guests.create(meetingId, request.body.displayName, device);
      reply.setCookie(GUEST_COOKIE, id, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' });
      deps.audit({
        action: 'guest.enter',
        outcome: 'ok',
        actor: guestAccountId(device),
        meetingId,
        detail: { displayName: request.body.displayName, ip: request.ip },
      });
      return { deviceToken, meetingId, displayName: request.body.displayName };
    },
  );
}
