/**
 * A running meeting: who is in it and who waits, their roles, the live policy and lock. Media
 * plumbing lives in server/media (one router per meeting, ParticipantMedia per participant); who
 * may do what in rules.ts; the wire protocol in server/signaling.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Static } from '@sinclair/typebox';
import type { types } from 'mediasoup';
import { ParticipantMedia } from '../media/participant-media.ts';
import type { MeetingView, NotificationName, NotificationParams } from '../signaling/protocol.ts';
import { Participant, type Identity, type MeetingRole, type MemberLink, type Waiting } from './participant.ts';
import type { MeetingPolicy } from './policy.ts';
import type { MeetingRecord } from './store.ts';

type MeetingEvents = { closed: [reason: CloseReason | undefined, memory: MeetingMemory] };
type CloseReason = NotificationParams<'reconnect'>['reason'] | 'ended';

/**
 * What a meeting remembers across a media failure (the router is gone, the meeting is not): who
 * had been admitted comes back without waiting again, co-hosts stay co-hosts, a lock stays.
 */
export interface MeetingMemory {
  admitted: Set<string>;
  /** Accounts whose microphone already started muted on entry (it does not happen twice). */
  enteredMuted: Set<string>;
  cohosts: Set<string>;
  removed: Set<string>;
  locked: boolean;
}

export class Meeting extends EventEmitter<MeetingEvents> {
  readonly id: string;
  readonly title: string;
  policy: MeetingPolicy;
  locked = false;
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer;
  readonly #participants = new Map<string, Participant>();
  readonly #waiting = new Map<string, Waiting>();
  /** Accounts removed from this running meeting (shown to hosts as "previously removed"). */
  readonly removedAccounts: Set<string>;
  /** Accounts that were inside when the media failed: they come back without waiting. */
  readonly #readmit: Set<string>;
  readonly #rememberedCohosts: Set<string>;
  readonly #enteredMuted: Set<string>;
  #closed = false;

  constructor(record: MeetingRecord, router: types.Router, webRtcServer: types.WebRtcServer, memory?: MeetingMemory) {
    super();
    this.id = record.id;
    this.title = record.title;
    this.policy = record.policy;
    this.#readmit = memory?.admitted ?? new Set();
    this.removedAccounts = memory?.removed ?? new Set();
    this.#rememberedCohosts = memory?.cohosts ?? new Set();
    this.#enteredMuted = memory?.enteredMuted ?? new Set();
    this.locked = memory?.locked ?? false;
    this.#router = router;
    this.#webRtcServer = webRtcServer;
    // The media worker under this meeting died: everyone must reconnect (to a new router).
    router.once('workerclose', () => this.close('media-worker-died'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Admitted participants (the waiting room does not count). */
  get size(): number {
    return this.#participants.size;
  }

  /** Whether one more may be admitted under the policy's `maxParticipants`. */
  get hasRoom(): boolean {
    return this.#participants.size < this.policy.maxParticipants;
  }

  get hostPresent(): boolean {
    return [...this.#participants.values()].some((p) => p.isHostLike);
  }

  participants(): Participant[] {
    return [...this.#participants.values()];
  }

  get(participantId: string): Participant | undefined {
    return this.#participants.get(participantId);
  }

  waiting(): Waiting[] {
    return [...this.#waiting.values()];
  }

  getWaiting(waitingId: string): Waiting | undefined {
    return this.#waiting.get(waitingId);
  }

  info(p: Participant) {
    return p.info(this.policy);
  }

  /** What a participant sees once inside. */
  viewFor(self: Participant): Static<typeof MeetingView> {
    return {
      self: this.info(self),
      title: this.title,
      policy: this.policy,
      locked: this.locked,
      routerRtpCapabilities: this.#router.rtpCapabilities,
      participants: this.participants().filter((p) => p !== self).map((p) => this.info(p)),
    };
  }

  // --- membership ---------------------------------------------------------------------------

  /** Was this account inside when a media failure restarted the meeting? (Once: leaving and
   *  coming back later means the waiting room again.) */
  wasAdmitted(accountId: string): boolean {
    return this.#readmit.delete(accountId) && !this.removedAccounts.has(accountId);
  }

  memory(): MeetingMemory {
    const cohosts = new Set(this.participants().filter((p) => p.role === 'cohost').map((p) => p.identity.accountId));
    const enteredMuted = new Set([...this.#enteredMuted, ...this.participants().filter((p) => p.enteredMuted).map((p) => p.identity.accountId)]);
    const inside = new Set(this.participants().map((p) => p.identity.accountId));
    return { admitted: inside, enteredMuted, cohosts, removed: this.removedAccounts, locked: this.locked };
  }

  /** Adds a participant and tells everyone else. */
  admitDirectly(identity: Identity, role: MeetingRole, link: MemberLink): Participant {
    const id = randomUUID();
    if (role === 'participant' && this.#rememberedCohosts.has(identity.accountId)) role = 'cohost';
    const media = new ParticipantMedia(this.#router, this.#webRtcServer, {
      consumerClosed: (consumerId) => link.notify('consumerClosed', { consumerId }),
    });
    const participant = new Participant(id, identity, role, media, link);
    participant.enteredMuted = this.#enteredMuted.has(identity.accountId);
    this.#participants.set(id, participant);
    this.broadcast('participantJoined', { participant: this.info(participant) }, id);
    if (participant.isHostLike) this.notifyWaitingRoom();
    return participant;
  }

  /** Puts someone in the waiting room and tells the hosts; `knownRemoved` from earlier runs. */
  addWaiting(identity: Identity, link: MemberLink, knownRemoved = false): Waiting {
    const previouslyRemoved = knownRemoved || this.removedAccounts.has(identity.accountId);
    const entry: Waiting = { id: randomUUID(), identity, since: Date.now(), previouslyRemoved, link };
    this.#waiting.set(entry.id, entry);
    this.notifyWaitingRoom();
    return entry;
  }

  /** Admits a waiting person as a participant; they receive `admitted` with the meeting view. */
  admit(waitingId: string): Participant | undefined {
    const entry = this.#waiting.get(waitingId);
    if (!entry) return undefined;
    this.#waiting.delete(waitingId);
    const participant = this.admitDirectly(entry.identity, 'participant', entry.link);
    entry.link.admitted(participant);
    entry.link.notify('admitted', { meeting: this.viewFor(participant) });
    this.notifyWaitingRoom();
    return participant;
  }

  /** Turns a waiting person away (denied), or drops them (left); true if they were waiting. */
  dropWaiting(waitingId: string, denied: boolean): boolean {
    const entry = this.#waiting.get(waitingId);
    if (!entry) return false;
    this.#waiting.delete(waitingId);
    if (denied) entry.link.notify('denied', {});
    entry.link.evicted();
    this.notifyWaitingRoom();
    this.releaseIfEmpty();
    return true;
  }

  /**
   * Removes a participant: closes all their media, tells everyone else. If they were the last
   * host, the host role passes to `handOverTo` or else to the longest-present participant.
   */
  remove(participantId: string, handOverTo?: string): Participant | undefined {
    const participant = this.#participants.get(participantId);
    if (!participant) return undefined;
    this.#participants.delete(participantId);
    participant.media.close();
    participant.link.evicted();
    this.broadcast('participantLeft', { participantId });
    if (participant.role === 'host' && ![...this.#participants.values()].some((p) => p.role === 'host')) {
      // Guests never become hosts.
      const staff = this.participants().filter((p) => p.identity.guestSessionHash === undefined);
      const named = handOverTo ? staff.find((p) => p.id === handOverTo) : undefined;
      const heir = named ?? staff.sort((a, b) => a.joinedAt - b.joinedAt)[0];
      if (heir) this.setRole(heir, 'host');
    }
    this.releaseIfEmpty();
    return participant;
  }

  setRole(participant: Participant, role: MeetingRole): void {
    participant.role = role;
    this.broadcast('participantUpdated', { participant: this.info(participant) });
    if (participant.isHostLike) this.notifyWaitingRoom();
  }

  /** Tells everyone a participant's state changed (roles, host-controlled permissions). */
  updated(participant: Participant): void {
    this.broadcast('participantUpdated', { participant: this.info(participant) });
  }

  // --- notifications ------------------------------------------------------------------------

  broadcast<N extends NotificationName>(name: N, params: NotificationParams<N>, exceptParticipantId?: string): void {
    for (const p of this.#participants.values()) if (p.id !== exceptParticipantId) p.link.notify(name, params);
  }

  /** Hosts and co-hosts see who waits; nobody else does. */
  notifyWaitingRoom(): void {
    const waiting = this.waiting().map((w) => ({
      id: w.id,
      displayName: w.identity.displayName,
      guest: w.identity.guestSessionHash !== undefined,
      previouslyRemoved: w.previouslyRemoved,
      since: w.since,
    }));
    for (const p of this.#participants.values()) if (p.isHostLike) p.link.notify('waitingRoomChanged', { waiting });
  }

  /** A producer of another participant in this meeting (never one's own, never another meeting's). */
  findProducer(producerId: string, exceptParticipantId: string): { owner: Participant; producer: types.Producer } | undefined {
    for (const owner of this.#participants.values()) {
      if (owner.id === exceptParticipantId) continue;
      const producer = owner.media.producers.get(producerId);
      if (producer) return { owner, producer };
    }
    return undefined;
  }

  /**
   * Ends the running meeting. `ended`: a host ended it for everyone; a reconnect reason: the
   * media failed or the server stops; none: the last person left.
   */
  close(reason?: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    const memory = this.memory();
    for (const p of this.#participants.values()) {
      p.media.close();
      if (reason === 'ended') p.link.notify('meetingEnded', {});
      else if (reason) p.link.notify('reconnect', { reason });
      p.link.evicted();
    }
    for (const w of this.#waiting.values()) {
      if (reason === 'ended') w.link.notify('meetingEnded', {});
      else if (reason) w.link.notify('reconnect', { reason });
      w.link.evicted();
    }
    this.#participants.clear();
    this.#waiting.clear();
    if (!this.#router.closed) this.#router.close();
    this.emit('closed', reason, memory);
  }

  /** Stops the meeting (frees its router) once nobody is in it or waiting. */
  releaseIfEmpty(): void {
    if (this.#participants.size === 0 && this.#waiting.size === 0) this.close();
  }
}
