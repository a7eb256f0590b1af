/**
 * Running meetings by id. A meeting starts (gets a router on the least-loaded media worker) when
 * its first participant enters and stops when its last one leaves or its worker dies.
 */
import type { WorkerPool } from '../media/worker-pool.ts';
import { Meeting } from './meeting.ts';

export class MeetingRegistry {
  readonly #pool: WorkerPool;
  readonly #running = new Map<string, Meeting>();
  readonly #starting = new Map<string, Promise<Meeting>>();

  constructor(pool: WorkerPool) {
    this.#pool = pool;
  }

  get running(): number {
    return this.#running.size;
  }

  find(meetingId: string): Meeting | undefined {
    return this.#running.get(meetingId);
  }

  /** The running meeting, started if needed (concurrent callers share one start). */
  async open(meetingId: string): Promise<Meeting> {
    const running = this.#running.get(meetingId);
    if (running && !running.closed) return running;
    let starting = this.#starting.get(meetingId);
    if (!starting) {
      starting = this.#start(meetingId).finally(() => this.#starting.delete(meetingId));
      this.#starting.set(meetingId, starting);
    }
    return starting;
  }

  /** Ends every running meeting, telling participants why. */
  closeAll(reason: 'server-shutdown'): void {
    for (const meeting of [...this.#running.values()]) meeting.close(reason);
  }

  async #start(meetingId: string): Promise<Meeting> {
    const { router, webRtcServer } = await this.#pool.createRouter({ meetingId });
    const meeting = new Meeting(meetingId, router, webRtcServer);
    this.#running.set(meetingId, meeting);
    meeting.once('closed', () => {
      if (this.#running.get(meetingId) === meeting) this.#running.delete(meetingId);
    });
    return meeting;
  }
}
