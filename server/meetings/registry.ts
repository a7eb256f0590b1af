/**
 * Running meetings by id. A meeting starts (gets a room in the SFU) when
 * its first participant enters and stops when its last one leaves or its worker dies.
 */
import { DomainError } from '../errors.ts';
import type { MediaRoom } from './media-port.ts';
import { Meeting, type MeetingMemory } from './meeting.ts';
import type { MeetingRecord } from './store.ts';

export class MeetingRegistry {
  /** A room in the SFU for a meeting that starts (server/media: a router on the least-loaded worker). */
  readonly #openRoom: (meetingId: string) => Promise<MediaRoom>;
  readonly #running = new Map<string, Meeting>();
  readonly #starting = new Map<string, Promise<Meeting>>();
  /** Meetings whose media failed, remembered until they start again (bounded by meeting count). */
  readonly #interrupted = new Map<string, MeetingMemory>();
  #draining = false;

  constructor(openRoom: (meetingId: string) => Promise<MediaRoom>) {
    this.#openRoom = openRoom;
  }

  get running(): number {
    return this.#running.size;
  }

  /** Running meetings, the participants inside them and the people in their waiting rooms, now. */
  totals(): { meetings: number; participants: number; waiting: number } {
    let participants = 0;
    let waiting = 0;
    for (const meeting of this.#running.values()) {
      participants += meeting.size;
      waiting += meeting.waiting().length;
    }
    return { meetings: this.#running.size, participants, waiting };
  }

  find(meetingId: string): Meeting | undefined {
    return this.#running.get(meetingId);
  }

  /**
   * Is the meeting live: starting for someone, or running (someone is inside or waiting; a
   * running meeting stops when the last one goes)?
   */
  isLive(meetingId: string): boolean {
    const running = this.#running.get(meetingId);
    return this.#starting.has(meetingId) || (running !== undefined && !running.closed && (running.size > 0 || running.waiting().length > 0));
  }

  /** How many running meetings this account is in (inside or waiting) on any connection. */
  meetingsOf(accountId: string): number {
    let n = 0;
    for (const meeting of this.#running.values()) if (!meeting.closed && meeting.placesOf(accountId) > 0) n++;
    return n;
  }

  /** The running meeting, started if needed (concurrent callers share one start). */
  async open(record: MeetingRecord): Promise<Meeting> {
    if (this.#draining) throw new DomainError('SERVER_DRAINING', 'the server is shutting down (a restart or an update): try again in a minute');
    const running = this.#running.get(record.id);
    if (running && !running.closed) return running;
    let starting = this.#starting.get(record.id);
    if (!starting) {
      starting = this.#start(record).finally(() => this.#starting.delete(record.id));
      this.#starting.set(record.id, starting);
    }
    return starting;
  }

  /** Shutting down: no new joins (SERVER_DRAINING); running meetings go on until they empty. */
  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Stops taking joins, tells everyone inside and waiting, and resolves once every meeting has
   * emptied or after `graceMs`, whichever is first (the caller then ends what is left).
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    const graceSeconds = Math.ceil(graceMs / 1000);
    for (const meeting of this.#running.values()) meeting.announceDraining(graceSeconds);
    const deadline = Date.now() + graceMs;
    while (this.#running.size > 0 || this.#starting.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        timer.unref();
      });
    }
  }

  /** Ends every running meeting, telling participants why. */
  closeAll(reason: 'server-shutdown'): void {
    for (const meeting of [...this.#running.values()]) meeting.close(reason);
  }

  async #start(record: MeetingRecord): Promise<Meeting> {
    const meetingId = record.id;
    const meeting = new Meeting(record, await this.#openRoom(meetingId), this.#interrupted.get(meetingId));
    this.#interrupted.delete(meetingId);
    this.#running.set(meetingId, meeting);
    meeting.once('closed', (reason, memory) => {
      if (this.#running.get(meetingId) === meeting) this.#running.delete(meetingId);
      if (reason === 'media-worker-died') this.#interrupted.set(meetingId, memory);
    });
    return meeting;
  }
}
