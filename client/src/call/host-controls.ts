/**
 * Host controls of one session: requests on participants and the waiting room, the policy, the
 * lock. The server decides who may do what (FORBIDDEN otherwise) and says so in each participant
 * view (`controls`, `meetingControls`); the panels offer only that.
 */
import type { MethodName, Params, Result } from '../../../protocol/signaling.ts';
import type { Signaling } from '../signaling.ts';
import type { MeetingState, PolicyPatch } from './meeting-state.ts';
import type { CallView, HostMethod } from './types.ts';

export class HostControls {
  readonly #sig: Signaling;
  readonly #meeting: MeetingState;
  readonly #view: Pick<CallView, 'update' | 'status'>;

  constructor(sig: Signaling, meeting: MeetingState, view: Pick<CallView, 'update' | 'status'>) {
    this.#sig = sig;
    this.#meeting = meeting;
    this.#view = view;
  }

  request<M extends HostMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    return this.#sig.request<MethodName & M>(method, params);
  }

  async updatePolicy(patch: PolicyPatch): Promise<void> {
    const { policy } = await this.#sig.request('updatePolicy', { policy: patch });
    this.#meeting.policy = policy;
    this.#view.update();
  }

  async setLocked(locked: boolean): Promise<void> {
    await this.#sig.request('setLocked', { locked });
    this.lockChanged(locked);
    this.#view.update();
  }

  /** The lock changed (by us or another host): said once. */
  lockChanged(locked: boolean): void {
    if (this.#meeting.locked === locked) return;
    this.#meeting.locked = locked;
    this.#view.status(locked ? 'statusLocked' : 'statusUnlocked');
  }
}
