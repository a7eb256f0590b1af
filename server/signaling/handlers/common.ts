import { DomainError } from '../../errors.ts';
import type { Meeting } from '../../meetings/meeting.ts';
import type { Participant } from '../../meetings/participant.ts';
import type { Caller, Services } from '../context.ts';
import type { MethodName, Params, Result } from '../../../protocol/signaling.ts';

/**
 * A method's handler: params arrive validated; it reads authorise (who the caller is here) → one
 * verb of the meeting core (which decides, acts and notifies) → audit.
 */
export type Handler<M extends MethodName> = (services: Services, caller: Caller, params: Params<M>) => Promise<Result<M>>;
export type HandlerSet<M extends MethodName> = { [K in M]: Handler<K> };

/** The caller as an admitted participant: waiting or absent callers are refused. */
export function inMeeting(caller: Caller): { meeting: Meeting; participant: Participant } {
  const m = caller.membership;
  if (!m) throw new DomainError('NOT_JOINED', 'join a meeting first');
  if (!m.participant) throw new DomainError('IN_WAITING_ROOM', 'wait until a host admits you');
  return { meeting: m.meeting, participant: m.participant };
}

/**
 * Runs a host action: refusals are audited as denied, successes as ok, both with the action's
 * name, so an auditor sees every attempt.
 */
export async function audited<T>(services: Services, caller: Caller, action: string, detail: Record<string, unknown>, act: () => T | Promise<T>): Promise<T> {
  const meetingId = caller.membership?.meeting.id; // before acting: ending a meeting clears it
  const result = await auditedRefusals(services, caller, action, detail, act);
  services.audit({ action, outcome: 'ok', actor: caller.account.id, meetingId, detail });
  return result;
}

/**
 * Like `audited`, for frequent actions (media, key relay) whose successes would flood the log:
 * only refusals are audited.
 */
export async function auditedRefusals<T>(
  services: Services,
  caller: Caller,
  action: string,
  detail: Record<string, unknown>,
  act: () => T | Promise<T>,
): Promise<T> {
  const meetingId = caller.membership?.meeting.id;
  try {
    return await act();
  } catch (error) {
    if (error instanceof DomainError) {
      services.audit({ action, outcome: 'denied', actor: caller.account.id, meetingId, detail: { ...detail, code: error.code } });
      error.audited = true;
    }
    throw error;
  }
}
