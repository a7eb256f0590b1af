/**
 * Running meetings by id. A meeting starts (gets a room in the SFU) when
 * its first participant enters and stops when its last one leaves or its worker dies.
 */
import { DomainError } from '../errors.ts';
import type { MediaRoom } from './media-port.ts';
import { encode, type MeetingMemoryStore } from './memory-store.ts';
import { Meeting, type MeetingMemory } from './meeting.ts';
import type { MeetingRecord } from './store.ts';
import type { RulesSource } from './org-rules.ts';

export class MeetingRegistry {
  /** A room in the SFU for a meeting that starts (server/media: a router on the least-loaded worker). */
  readonly #openRoom: (meetingId: string) => Promise<MediaRoom>;
  readonly #running = new Map<string, Meeting>();
  readonly #starting = new Map<string, Promise<Meeting>>();
  /** Meetings whose media failed, remembered until they start again (bounded by meeting count). */
  readonly #interrupted: Map<string, MeetingMemory>;
  /** Where memories outlive the process (memory-store.ts); none in unit tests. */
  readonly #memories: MeetingMemoryStore | undefined;
  /** The memory last saved per running meeting, to save only what changed. */
  readonly #saved = new Map<string, string>();
  readonly #rules: RulesSource | undefined;
  #draining = false;

  /**
   * `memories`: what meetings remembered before this process started (a crash, a restart) is
   * taken from there, and kept there as meetings run (`snapshot`). `rules`: the organisation's,
   * which every running meeting's live policy stays within (org-rules.ts).
   */
  constructor(
    openRoom: (meetingId: string) => Promise<MediaRoom>,
    memories?: MeetingMemoryStore,
    options: { memoryMaxAgeMs?: number; rules?: RulesSource } = {},
  ) {
    const memoryMaxAgeMs = options.memoryMaxAgeMs ?? 15 * 60_000;
    this.#openRoom = openRoom;
    this.#memories = memories;
    this.#rules = options.rules;
    this.#interrupted = memories?.recent(memoryMaxAgeMs) ?? new Map<string, MeetingMemory>();
  }

  /** Saves what each running meeting remembers, where it changed since the last time (called every second). */
  snapshot(): void {
    if (!this.#memories) return;
    for (const [meetingId, meeting] of this.#running) {
      if (meeting.closed) continue;
      const memory = meeting.memory();
      const text = encode(memory);
      if (this.#saved.get(meetingId) === text) continue;
      this.#memories.save(meetingId, memory);
      this.#saved.set(meetingId, text);
    }
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

  /** The running meetings, oldest first (the admin console's list). */
  list(): Meeting[] {
    return [...this.#running.values()].filter((m) => !m.closed).sort((a, b) => a.startedAt - b.startedAt);
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
    const meeting = new Meeting(record, await this.#openRoom(meetingId), this.#interrupted.get(meetingId), this.#rules);
    this.#interrupted.delete(meetingId);
    this.#running.set(meetingId, meeting);
    meeting.once('closed', (reason, memory) => {
      if (this.#running.get(meetingId) === meeting) this.#running.delete(meetingId);
      this.#saved.delete(meetingId);
      // Interrupted (media failure, shutdown): remembered for when people come back. Ended or
      // emptied: forgotten.
      const interrupted = reason === 'media-worker-died' || reason === 'server-shutdown';
      if (interrupted) this.#interrupted.set(meetingId, memory);
      if (interrupted) this.#memories?.save(meetingId, memory);
      else this.#memories?.forget(meetingId);
    });
    return meeting;
  }
}
