/** Host controls: requests on participants and the waiting room, policy, lock, ending the meeting. */
import type { MethodName, Params, Result } from '../../protocol/signaling.ts';
import type { CallCore } from './call-core.ts';
import { end } from './call-join.ts';
import type { HostMethod } from './call-types.ts';
import type { PolicyPatch } from './meeting-state.ts';

/** A host control (FORBIDDEN for participants; the server decides). */
export async function hostRequest<M extends HostMethod>(core: CallCore, method: M, params: Params<M>): Promise<Result<M>> {
  const { sig } = core.inside();
  return sig.request<MethodName & M>(method, params);
}

export async function updatePolicy(core: CallCore, patch: PolicyPatch): Promise<void> {
  const { connection, sig } = core.inside();
  const { policy } = await sig.request('updatePolicy', { policy: patch });
  if (core.connection === connection && connection.meeting) connection.meeting.policy = policy;
  core.view.update();
}

export async function setLocked(core: CallCore, locked: boolean): Promise<void> {
  const { connection, sig } = core.inside();
  await sig.request('setLocked', { locked });
  const meeting = connection.meeting;
  if (core.connection === connection && meeting && meeting.locked !== locked) {
    meeting.locked = locked;
    core.view.status(locked ? 'statusLocked' : 'statusUnlocked');
  }
  core.view.update();
}

/** Ends the meeting for everyone (hosts); everyone, this page included, leaves the call. */
export async function endForEveryone(core: CallCore): Promise<void> {
  const { connection, sig } = core.inside();
  try {
    await sig.request('endMeeting', {});
  } catch (err) {
    // `meetingEnded` reached this page first and closed its socket: that is success.
    if (core.connection !== connection && core.state === 'ended') return;
    throw err;
  }
  if (core.connection === connection) end(core, connection, 'MEETING_ENDED');
}
