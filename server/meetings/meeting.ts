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
import type { MeetingView, NotificationName, NotificationParams } from '../../protocol/signaling.ts';
import { isGuest, Participant, type Identity, type MeetingRole, type MemberLink, type Waiting, type WaitingReason } from './participant.ts';
import type { MeetingPolicy } from '../../protocol/policy.ts';
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
  /** The live policy: changes by co-hosts and inherited hosts last for the call, not beyond. */
  policy: MeetingPolicy;
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
    this.policy = memory?.policy ?? record.policy;
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

  /** How many places (inside or waiting) one person holds here, over all their connections. */
  placesOf(accountId: string): number {
    let n = 0;
    for (const p of this.#participants.values()) if (p.identity.accountId === accountId) n++;
    for (const w of this.#waiting.values()) if (w.identity.accountId === accountId) n++;
    return n;
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
    return { admitted: inside, enteredMuted, cohosts, removed: this.removedAccounts, locked: this.locked, policy: this.policy };
  }

  /**
   * Adds a participant and tells everyone else. `designatedHost`: one of the meeting's own hosts
   * (from the stored meeting), who outranks anyone who inherits the host role.
   */
  admitDirectly(identity: Identity, role: MeetingRole, link: MemberLink, options: { designatedHost?: boolean } = {}): Participant {
    const id = randomUUID();
    if (role === 'participant' && this.#rememberedCohosts.has(identity.accountId)) role = 'cohost';
    const media = new ParticipantMedia(this.#router, this.#webRtcServer, {
      consumerClosed: (consumerId) => link.notify('consumerClosed', { consumerId }),
    });
    const participant = new Participant(id, identity, role, media, link, options.designatedHost ?? false);
    participant.enteredMuted = this.#enteredMuted.has(identity.accountId);
    this.#participants.set(id, participant);
    this.broadcast('participantJoined', { participant: this.info(participant) }, id);
    if (participant.isHostLike) this.#showWaitingRoom(participant);
    return participant;
  }

  /** Puts someone in the waiting room and tells the hosts; `knownRemoved` from earlier runs. */
  addWaiting(identity: Identity, link: MemberLink, reason: WaitingReason, knownRemoved = false): Waiting {
    const previouslyRemoved = knownRemoved || this.removedAccounts.has(identity.accountId);
    const entry: Waiting = { id: randomUUID(), identity, since: Date.now(), reason, previouslyRemoved, link };
    this.#waiting.set(entry.id, entry);
    this.#toHosts('waitingAdded', { entry: waitingInfo(entry) });
    return entry;
  }

  /** Admits a waiting person as a participant; they receive `admitted` with the meeting view. */
  admit(waitingId: string): Participant | undefined {
    const entry = this.#waiting.get(waitingId);
    if (!entry) return undefined;
    this.#waiting.delete(waitingId);
    this.#toHosts('waitingRemoved', { waitingId });
    const participant = this.admitDirectly(entry.identity, 'participant', entry.link);
    entry.link.admitted(participant);
    entry.link.notify('admitted', { meeting: this.viewFor(participant) });
    return participant;
  }

  /**
   * People who wait only for a host to be there (no waiting room): let in once one is, as room
   * allows. Guests and people removed before always wait for a host's own decision.
   */
  admitThoseWaitingForAHost(): Participant[] {
    if (this.policy.waitingRoom || !this.hostPresent) return [];
    const admitted: Participant[] = [];
    for (const w of this.waiting()) {
      if (!this.hasRoom) break;
      if (isGuest(w.identity) || w.previouslyRemoved) continue;
      admitted.push(this.admit(w.id)!);
    }
    return admitted;
  }

  /** Turns a waiting person away (denied), or drops them (left); true if they were waiting. */
  dropWaiting(waitingId: string, denied: boolean): boolean {
    const entry = this.#waiting.get(waitingId);
    if (!entry) return false;
    this.#waiting.delete(waitingId);
    if (denied) entry.link.notify('denied', {});
    entry.link.evicted();
    this.#toHosts('waitingRemoved', { waitingId });
    this.releaseIfEmpty();
    return true;
  }

  /**
   * Removes a person — every connection of theirs, inside and in the waiting room — telling each
   * `removed`. They show as previously removed if they come back. Returns the participants removed.
   */
  removePerson(accountId: string, banned: boolean): Participant[] {
    this.removedAccounts.add(accountId);
    for (const w of this.waiting()) {
      if (w.identity.accountId !== accountId) continue;
      w.link.notify('removed', { banned });
      this.dropWaiting(w.id, false);
    }
    const removed = this.participants().filter((p) => p.identity.accountId === accountId);
    for (const p of removed) {
      p.link.notify('removed', { banned });
      this.remove(p.id);
    }
    return removed;
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
      // Guests never become hosts. The heir's role is inherited: the meeting's own hosts outrank it.
      const staff = this.participants().filter((p) => !isGuest(p.identity));
      const named = handOverTo ? staff.find((p) => p.id === handOverTo) : undefined;
      const heir = named ?? staff.sort((a, b) => a.joinedAt - b.joinedAt)[0];
      if (heir) this.setRole(heir, 'host');
    }
    this.releaseIfEmpty();
    return participant;
  }

  setRole(participant: Participant, role: MeetingRole): void {
    const sawWaitingRoom = participant.isHostLike;
    participant.role = role;
    this.broadcast('participantUpdated', { participant: this.info(participant) });
    if (participant.isHostLike && !sawWaitingRoom) this.#showWaitingRoom(participant);
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
  #toHosts<N extends 'waitingAdded' | 'waitingRemoved' | 'passwordChanged'>(name: N, params: NotificationParams<N>): void {
    for (const p of this.#participants.values()) if (p.isHostLike) p.link.notify(name, params);
  }

  /** The whole waiting room, once, to someone who just became able to see it. */
  #showWaitingRoom(p: Participant): void {
    p.link.notify('waitingRoomChanged', { waiting: this.waiting().map(waitingInfo) });
  }

  /** Tells the hosts the meeting password changed; the new one only to its own hosts. */
  passwordChanged(password: string | null): void {
    for (const p of this.#participants.values()) {
      if (!p.isHostLike) continue;
      p.link.notify('passwordChanged', p.designatedHost && password !== null ? { password } : {});
    }
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

function waitingInfo(w: Waiting): NotificationParams<'waitingAdded'>['entry'] {
  return { id: w.id, displayName: w.identity.displayName, guest: isGuest(w.identity), previouslyRemoved: w.previouslyRemoved, since: w.since };
}
