/**
 * A running meeting's state and membership: who is inside and who waits, the live policy and
 * lock, entering, admission, leaving, removal, and the end. The host controls and the media, chat
 * and key verbs are in meeting.ts (class Meeting, built on this one). Verbs check who may (rules.ts),
 * change the state and tell whom it concerns; the SFU is reached only through the media port.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Static } from '@sinclair/typebox';
import type { MeetingPolicy } from '../../protocol/policy.ts';
import type { MeetingView, NotificationParams } from '../../protocol/signaling.ts';
import { DomainError } from '../errors.ts';
import type { MediaRoom, Source } from './media-port.ts';
import { isGuest, Participant, type Identity, type MeetingRole, type MemberLink, type Waiting, type WaitingReason } from './participant.ts';
import { Roster } from './roster.ts';
import * as rules from './rules.ts';
import type { MeetingRecord } from './store.ts';
import { withinRules, type RulesSource } from './org-rules.ts';
import { controlsSnapshot, viewOf, type ParticipantView } from './views.ts';

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

export type Entered = { status: 'joined'; participant: Participant } | { status: 'waiting'; entry: Waiting };

export class MeetingState extends EventEmitter<MeetingEvents> {
  readonly id: string;
  readonly title: string;
  /** When it started running on this server (ms since the epoch). */
  readonly startedAt = Date.now();
  #policy: MeetingPolicy;
  /** The organisation's rules (org-rules.ts): the live policy stays within them. */
  readonly #rules: RulesSource | undefined;
  #locked: boolean;
  readonly #room: MediaRoom;
  protected readonly roster = new Roster();
  /** Accounts removed from this running meeting (shown to hosts as "previously removed"). */
  readonly #removed: Set<string>;
  /** Accounts that were inside when the media failed: they come back without waiting. */
  readonly #readmit: Set<string>;
  readonly #rememberedCohosts: Set<string>;
  readonly #enteredMuted: Set<string>;
  #closed = false;

  constructor(record: MeetingRecord, room: MediaRoom, memory?: MeetingMemory, rules?: RulesSource) {
    super();
    this.id = record.id;
    this.title = record.title;
    this.#rules = rules;
    this.#policy = this.withinRules(memory?.policy ?? record.policy);
    this.#readmit = memory?.admitted ?? new Set();
    this.#removed = memory?.removed ?? new Set();
    this.#rememberedCohosts = memory?.cohosts ?? new Set();
    this.#enteredMuted = memory?.enteredMuted ?? new Set();
    this.#locked = memory?.locked ?? false;
    this.#room = room;
    // The media under this meeting failed: everyone must reconnect (to a new room).
    room.onFailure(() => this.close('media-worker-died'));
  }

  // --- reading -------------------------------------------------------------------------------

  get closed(): boolean {
    return this.#closed;
  }
  get policy(): MeetingPolicy {
    return this.#policy;
  }
  get locked(): boolean {
    return this.#locked;
  }
  /** Admitted participants (the waiting room does not count). */
  get size(): number {
    return this.roster.size;
  }
  /** Whether one more may be admitted under the policy's `maxParticipants`. */
  get hasRoom(): boolean {
    return this.roster.size < this.#policy.maxParticipants;
  }
  get hostPresent(): boolean {
    return this.roster.hostPresent;
  }
  get removedAccounts(): ReadonlySet<string> {
    return this.#removed;
  }
  participants(): Participant[] {
    return this.roster.participants();
  }
  get(participantId: string): Participant | undefined {
    return this.roster.get(participantId);
  }
  waiting(): Waiting[] {
    return this.roster.waiting();
  }
  getWaiting(waitingId: string): Waiting | undefined {
    return this.roster.getWaiting(waitingId);
  }
  placesOf(accountId: string): number {
    return this.roster.placesOf(accountId);
  }
  /** The guest sessions of everyone inside or waiting (the others may be ended). */
  guestSessionsInUse(): Set<string> {
    const hashes = [...this.participants(), ...this.waiting()].map((m) => m.identity.guestSessionHash);
    return new Set(hashes.filter((h) => h !== undefined));
  }

  /** What everyone sees of a participant (the same for every viewer: no controls). */
  info(p: Participant) {
    return p.info(this.#policy);
  }

  /** A participant as `viewer` sees them: with what the viewer may do to them. */
  viewOf(p: Participant, viewer: Participant): ParticipantView {
    return viewOf(p, this.info(p), viewer);
  }

  /** What a participant sees once inside: everyone as they see them. */
  viewFor(self: Participant): Static<typeof MeetingView> {
    return {
      self: this.viewOf(self, self),
      title: this.title,
      policy: this.#policy,
      locked: this.#locked,
      routerRtpCapabilities: this.#room.rtpCapabilities,
      participants: this.participants()
        .filter((p) => p !== self)
        .map((p) => this.viewOf(p, self)),
    };
  }

  memory(): MeetingMemory {
    const inside = this.participants();
    const cohosts = new Set(inside.filter((p) => p.role === 'cohost').map((p) => p.identity.accountId));
    const enteredMuted = new Set([...this.#enteredMuted, ...inside.filter((p) => p.enteredMuted).map((p) => p.identity.accountId)]);
    return {
      admitted: new Set(inside.map((p) => p.identity.accountId)),
      enteredMuted,
      cohosts,
      removed: this.#removed,
      locked: this.#locked,
      policy: this.#policy,
    };
  }

  /** The live policy changes (applyPolicy), always within the organisation's rules; the lock (setLocked). */
  protected replacePolicy(policy: MeetingPolicy): void {
    this.#policy = this.withinRules(policy);
  }
  protected withinRules(policy: MeetingPolicy): MeetingPolicy {
    return this.#rules ? withinRules(policy, this.#rules()) : policy;
  }
  protected changeLock(locked: boolean): void {
    this.#locked = locked;
  }

  // --- membership ----------------------------------------------------------------------------

  /**
   * Someone arrives. The meeting's own hosts enter directly, never locked out. Someone who was
   * inside when the media failed comes back in (the lock was not meant for them). Others are
   * refused while it is locked or full, wait (waiting room, guests always, or no host yet), or enter.
   */
  enter(identity: Identity, link: MemberLink, options: { designatedHost: boolean }): Entered {
    if (options.designatedHost) {
      const participant = this.#add(identity, 'host', link, true);
      this.admitThoseWaitingForAHost();
      return { status: 'joined', participant };
    }
    // Once: leaving and coming back later means the waiting room again.
    const readmit = this.comesBack(identity.accountId) && !this.#removed.has(identity.accountId);
    if (readmit) return { status: 'joined', participant: this.#add(identity, 'participant', link, false) };
    const refuse = (code: 'MEETING_LOCKED' | 'MEETING_FULL', message: string): never => {
      this.releaseIfEmpty();
      throw new DomainError(code, message);
    };
    if (this.#locked) refuse('MEETING_LOCKED', 'the meeting is locked');
    if (!this.hasRoom) refuse('MEETING_FULL', 'the meeting is full');
    const p = this.#policy;
    const reason: WaitingReason | null = p.waitingRoom || isGuest(identity) ? 'waiting-room' : !p.joinBeforeHost && !this.hostPresent ? 'no-host' : null;
    if (!reason) return { status: 'joined', participant: this.#add(identity, 'participant', link, false) };
    const entry: Waiting = { id: randomUUID(), identity, since: Date.now(), reason, previouslyRemoved: this.#removed.has(identity.accountId), link };
    this.roster.addWaiting(entry);
    return { status: 'waiting', entry };
  }

  /** Was this person inside before the media or the server failed (once)? */
  protected comesBack(accountId: string): boolean {
    return this.#readmit.delete(accountId);
  }

  /** Admits one waiting person (`banned`: whether a stored ban holds them). */
  admit(actor: Participant, waitingId: string, banned: (accountId: string) => boolean): Participant {
    rules.requireHostControls(actor);
    const entry = this.roster.getWaiting(waitingId);
    if (!entry) throw new DomainError('NOT_FOUND', 'nobody with that id is waiting');
    rules.requireNotBanned(banned(entry.identity.accountId));
    if (!this.hasRoom) throw new DomainError('MEETING_FULL', 'the meeting is full');
    return this.#admit(entry);
  }

  /** Everyone waiting, as room allows — except people removed before: a host admits them one by one. */
  admitAll(actor: Participant, banned: (accountId: string) => boolean): number {
    rules.requireHostControls(actor);
    let admitted = 0;
    for (const w of this.waiting()) {
      if (!this.hasRoom) break;
      if (w.previouslyRemoved || banned(w.identity.accountId)) continue;
      this.#admit(w);
      admitted++;
    }
    return admitted;
  }

  deny(actor: Participant, waitingId: string): void {
    rules.requireHostControls(actor);
    if (!this.#dropWaiting(waitingId, 'denied')) throw new DomainError('NOT_FOUND', 'nobody with that id is waiting');
  }

  /** Leaves (from inside or the waiting room); a host may hand the host role to someone inside. */
  leave(member: { participant: Participant } | { waiting: Waiting }, handOverTo?: string): void {
    if ('waiting' in member) {
      this.#dropWaiting(member.waiting.id, 'left');
      return;
    }
    if (handOverTo !== undefined) {
      if (member.participant.role !== 'host') throw new DomainError('FORBIDDEN', 'only hosts hand over the host role');
      if (!this.get(handOverTo) || handOverTo === member.participant.id) throw new DomainError('NOT_FOUND', 'no such participant in this meeting');
    }
    this.#removeParticipant(member.participant, handOverTo);
  }

  /**
   * Removes a person — every connection of theirs, inside and in the waiting room — telling each
   * `removed`. They show as previously removed if they come back; a ban (stored by the caller)
   * keeps them out. Returns everyone removed (their guest sessions may need ending).
   */
  removePerson(actor: Participant, targetId: string, banned: boolean): { target: Participant; removed: Participant[] } {
    const target = this.target(actor, targetId);
    const person = target.identity.accountId;
    this.#removed.add(person);
    for (const w of this.waiting()) {
      if (w.identity.accountId !== person) continue;
      w.link.notify('removed', { banned });
      this.#dropWaiting(w.id, 'left');
    }
    const removed = this.participants().filter((p) => p.identity.accountId === person);
    for (const p of removed) {
      p.link.notify('removed', { banned });
      this.#removeParticipant(p);
    }
    return { target, removed };
  }

  // --- the end -------------------------------------------------------------------------------

  /**
   * Ends the running meeting. `ended`: a host ended it for everyone; a reconnect reason: the
   * media failed or the server stops; none: the last person left.
   */
  close(reason?: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    const memory = this.memory();
    const links = [...this.participants().map((p) => (p.media.close(), p.link)), ...this.waiting().map((w) => w.link)];
    for (const link of links) {
      if (reason === 'ended') link.notify('meetingEnded', {});
      else if (reason) link.notify('reconnect', { reason });
      link.evicted();
    }
    this.roster.clear();
    this.#room.close();
    this.emit('closed', reason, memory);
  }

  /** Stops the meeting (frees its room in the SFU) once nobody is in it or waiting. */
  releaseIfEmpty(): void {
    if (this.roster.empty) this.close();
  }

  // --- inside --------------------------------------------------------------------------------

  #add(identity: Identity, role: MeetingRole, link: MemberLink, designatedHost: boolean): Participant {
    if (role === 'participant' && this.#rememberedCohosts.has(identity.accountId)) role = 'cohost';
    const media = this.#room.participantMedia({ consumerClosed: (consumerId) => link.notify('consumerClosed', { consumerId }) });
    const participant = new Participant(randomUUID(), identity, role, media, link, designatedHost);
    participant.enteredMuted = this.#enteredMuted.has(identity.accountId);
    this.roster.add(participant);
    this.#tell('participantJoined', participant, participant.id);
    if (participant.isHostLike) this.roster.showWaitingRoom(participant);
    return participant;
  }

  #admit(entry: Waiting): Participant {
    this.roster.deleteWaiting(entry.id);
    const participant = this.#add(entry.identity, 'participant', entry.link, false);
    entry.link.admitted(participant);
    entry.link.notify('admitted', { meeting: this.viewFor(participant) });
    return participant;
  }

  /** Staff who wait only for a host (no waiting room) come in once one is there; guests and people removed before never do. */
  protected admitThoseWaitingForAHost(): void {
    if (this.#policy.waitingRoom || !this.hostPresent) return;
    for (const w of this.waiting()) {
      if (!this.hasRoom) break;
      if (!isGuest(w.identity) && !w.previouslyRemoved) this.#admit(w);
    }
  }

  #dropWaiting(waitingId: string, why: 'denied' | 'left'): boolean {
    const entry = this.roster.getWaiting(waitingId);
    if (!entry) return false;
    this.roster.deleteWaiting(waitingId);
    if (why === 'denied') entry.link.notify('denied', {});
    entry.link.evicted();
    this.releaseIfEmpty();
    return true;
  }

  /** Closes all their media and tells everyone; if they were the last host, the role is inherited. */
  #removeParticipant(participant: Participant, handOverTo?: string): void {
    if (!this.roster.delete(participant.id)) return;
    participant.media.close();
    participant.link.evicted();
    this.roster.broadcast('participantLeft', { participantId: participant.id });
    if (participant.role === 'host' && !this.participants().some((p) => p.role === 'host')) {
      // Guests never become hosts. The heir's role is inherited: the meeting's own hosts outrank it.
      const staff = this.participants().filter((p) => !isGuest(p.identity));
      const heir = staff.find((p) => p.id === handOverTo) ?? staff.sort((a, b) => a.joinedAt - b.joinedAt)[0];
      if (heir) this.setRoleOf(heir, 'host');
    }
    this.releaseIfEmpty();
  }

  /**
   * Everyone sees the new role, with their own controls over them; what the participant may do to
   * the others changed too: they are sent each one whose controls changed for them.
   */
  protected setRoleOf(participant: Participant, role: MeetingRole): void {
    const sawWaitingRoom = participant.isHostLike;
    const others = this.participants().filter((p) => p !== participant);
    const before = controlsSnapshot(participant, others);
    participant.role = role;
    this.updated(participant);
    const after = controlsSnapshot(participant, others);
    for (const o of others) if (after.get(o) !== before.get(o)) participant.link.notify('participantUpdated', { participant: this.viewOf(o, participant) });
    if (participant.isHostLike && !sawWaitingRoom) this.roster.showWaitingRoom(participant);
  }

  /** Another participant the actor outranks (NOT_FOUND for ids not in this meeting). */
  protected target(actor: Participant, targetId: string): Participant {
    const who = this.member(targetId);
    rules.requireAuthorityOver(actor, who);
    return who;
  }

  protected member(participantId: string): Participant {
    const p = this.get(participantId);
    if (!p) throw new DomainError('NOT_FOUND', 'no such participant in this meeting');
    return p;
  }

  /** Closes a producer at the SFU because the rules no longer allow it, and tells everyone. */
  protected stopSource(p: Participant, source: Source): void {
    const producer = p.media.producerFor(source);
    if (!producer) return;
    producer.close();
    this.roster.broadcast('producerClosed', { participantId: p.id, producerId: producer.id });
  }

  protected updated(p: Participant): void {
    this.#tell('participantUpdated', p);
  }

  /** Tells everyone (but `except`) about `p`, each as they see them: the facts once, the controls per recipient. */
  #tell(name: 'participantJoined' | 'participantUpdated', p: Participant, exceptParticipantId?: string): void {
    const facts = this.info(p);
    this.roster.broadcastEach(name, (viewer) => ({ participant: viewOf(p, facts, viewer) }), exceptParticipantId);
  }
}
