/**
 * A running meeting and its rules. Every change is a verb (enter, admit, mute, remove, applyPolicy,
 * startProducing, end, …) that checks who may do it (rules.ts), changes the state, tells whom it
 * concerns through their MemberLink, and returns what the caller needs. The SFU is reached only
 * through the media port (media-port.ts), so every rule runs in a unit test without a worker.
 * Signalling handlers (server/signaling) call one verb each; the wire is protocol/.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Static } from '@sinclair/typebox';
import type { MeetingPolicy, MeetingPolicyPatch } from '../../protocol/policy.ts';
import type { ChatMessage, MeetingView, NotificationParams } from '../../protocol/signaling.ts';
import { DomainError } from '../errors.ts';
import type { MediaKind, MediaRoom, Source } from './media-port.ts';
import { isGuest, Participant, type Identity, type MeetingRole, type MemberLink, type Waiting, type WaitingReason } from './participant.ts';
import { Roster } from './roster.ts';
import * as rules from './rules.ts';
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

export type Entered = { status: 'joined'; participant: Participant } | { status: 'waiting'; entry: Waiting };
type ChatContent = { text: string } | { sealed: string };

export class Meeting extends EventEmitter<MeetingEvents> {
  readonly id: string;
  readonly title: string;
  #policy: MeetingPolicy;
  #locked: boolean;
  readonly #room: MediaRoom;
  readonly #roster = new Roster();
  /** Accounts removed from this running meeting (shown to hosts as "previously removed"). */
  readonly #removed: Set<string>;
  /** Accounts that were inside when the media failed: they come back without waiting. */
  readonly #readmit: Set<string>;
  readonly #rememberedCohosts: Set<string>;
  readonly #enteredMuted: Set<string>;
  #closed = false;

  constructor(record: MeetingRecord, room: MediaRoom, memory?: MeetingMemory) {
    super();
    this.id = record.id;
    this.title = record.title;
    this.#policy = memory?.policy ?? record.policy;
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
    return this.#roster.size;
  }
  /** Whether one more may be admitted under the policy's `maxParticipants`. */
  get hasRoom(): boolean {
    return this.#roster.size < this.#policy.maxParticipants;
  }
  get hostPresent(): boolean {
    return this.#roster.hostPresent;
  }
  get removedAccounts(): ReadonlySet<string> {
    return this.#removed;
  }
  participants(): Participant[] {
    return this.#roster.participants();
  }
  get(participantId: string): Participant | undefined {
    return this.#roster.get(participantId);
  }
  waiting(): Waiting[] {
    return this.#roster.waiting();
  }
  getWaiting(waitingId: string): Waiting | undefined {
    return this.#roster.getWaiting(waitingId);
  }
  placesOf(accountId: string): number {
    return this.#roster.placesOf(accountId);
  }
  info(p: Participant) {
    return p.info(this.#policy);
  }

  /** What a participant sees once inside. */
  viewFor(self: Participant): Static<typeof MeetingView> {
    return {
      self: this.info(self),
      title: this.title,
      policy: this.#policy,
      locked: this.#locked,
      routerRtpCapabilities: this.#room.rtpCapabilities,
      participants: this.participants().filter((p) => p !== self).map((p) => this.info(p)),
    };
  }

  memory(): MeetingMemory {
    const inside = this.participants();
    const cohosts = new Set(inside.filter((p) => p.role === 'cohost').map((p) => p.identity.accountId));
    const enteredMuted = new Set([...this.#enteredMuted, ...inside.filter((p) => p.enteredMuted).map((p) => p.identity.accountId)]);
    return { admitted: new Set(inside.map((p) => p.identity.accountId)), enteredMuted, cohosts, removed: this.#removed, locked: this.#locked, policy: this.#policy };
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
      this.#admitThoseWaitingForAHost();
      return { status: 'joined', participant };
    }
    // Once: leaving and coming back later means the waiting room again.
    const readmit = this.#readmit.delete(identity.accountId) && !this.#removed.has(identity.accountId);
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
    this.#roster.addWaiting(entry);
    return { status: 'waiting', entry };
  }

  /** Admits one waiting person (`banned`: whether a stored ban holds them). */
  admit(actor: Participant, waitingId: string, banned: (accountId: string) => boolean): Participant {
    rules.requireHostControls(actor);
    const entry = this.#roster.getWaiting(waitingId);
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
    const target = this.#target(actor, targetId);
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

  // --- host controls -------------------------------------------------------------------------

  /** Pauses their microphone at the SFU and holds it until a host asks them to unmute. */
  async hardMute(actor: Participant, targetId: string): Promise<void> {
    await this.#hardMute([this.#target(actor, targetId)]);
  }

  /** A host mutes everyone but hosts; a co-host, everyone below co-host. */
  async muteAll(actor: Participant): Promise<number> {
    rules.requireHostControls(actor);
    const below = this.participants().filter((p) => p !== actor && (actor.role === 'host' ? p.role !== 'host' : p.role === 'participant'));
    await this.#hardMute(below);
    return below.length;
  }

  /** Lifts the hold and asks; the microphone stays paused until they resume it (no remote unmute). */
  askToUnmute(actor: Participant, targetId: string): void {
    const who = this.#target(actor, targetId);
    who.mutedByHost = false;
    who.link.notify('hostAction', { action: 'unmute-requested' });
    this.#updated(who);
  }

  /** Forbids (closing their camera at the SFU) or allows a camera; never turns one on. */
  setCameraAllowed(actor: Participant, targetId: string, allowed: boolean): void {
    const who = this.#target(actor, targetId);
    who.cameraForbidden = !allowed;
    if (!allowed) this.#stopSource(who, 'camera');
    who.link.notify('hostAction', { action: allowed ? 'camera-allowed' : 'camera-disallowed' });
    this.#updated(who);
  }

  setScreenShareAllowed(actor: Participant, targetId: string, allowed: boolean): void {
    const who = this.#target(actor, targetId);
    who.screenShareByHost = allowed;
    if (!allowed) this.#stopSource(who, 'screen');
    who.link.notify('hostAction', { action: allowed ? 'screen-share-allowed' : 'screen-share-disallowed' });
    this.#updated(who);
  }

  setRole(actor: Participant, targetId: string, role: 'cohost' | 'participant'): void {
    rules.requireHost(actor);
    const who = this.#target(actor, targetId);
    if (isGuest(who.identity) && role === 'cohost') throw new DomainError('FORBIDDEN', 'guests cannot be co-hosts');
    this.#setRole(who, role);
  }

  setLocked(actor: Participant, locked: boolean): void {
    rules.requireHostControls(actor);
    this.#locked = locked;
    this.#roster.broadcast('lockChanged', { locked });
  }

  /**
   * Changes the live policy at once (what is no longer allowed stops at the SFU). The meeting's own
   * hosts also change its stored defaults (`save`); a co-host's or inherited host's change lasts
   * for the call. `e2ee` is fixed while the meeting runs.
   */
  applyPolicy(actor: Participant, patch: MeetingPolicyPatch, save: (patch: MeetingPolicyPatch) => void): { policy: MeetingPolicy; stored: boolean } {
    rules.requireHostControls(actor);
    rules.requireE2eeUnchanged(patch);
    const stored = rules.writesStoredPolicy(actor);
    if (stored) save(patch);
    const before = new Map(this.participants().map((p) => [p, JSON.stringify(this.info(p))]));
    this.#policy = { ...this.#policy, ...patch };
    this.#roster.broadcast('policyChanged', { policy: this.#policy });
    for (const p of this.participants()) {
      const allowed = this.info(p);
      if (!allowed.cameraAllowed) this.#stopSource(p, 'camera');
      if (!allowed.screenShareAllowed) this.#stopSource(p, 'screen');
      if (JSON.stringify(this.info(p)) !== before.get(p)) this.#updated(p);
    }
    this.#admitThoseWaitingForAHost();
    return { policy: this.#policy, stored };
  }

  /** Ends the meeting for everyone (hosts only). */
  end(actor: Participant): void {
    rules.requireHost(actor);
    this.close('ended');
  }

  /** Tells the hosts the meeting password changed; the new one only to its own hosts. */
  passwordChanged(password: string | null): void {
    for (const p of this.participants()) {
      if (p.isHostLike) p.link.notify('passwordChanged', p.designatedHost && password !== null ? { password } : {});
    }
  }

  // --- one's own media, chat, key relay ------------------------------------------------------

  /**
   * Starts sending a track, paused at the SFU when the rules say so (mute on entry, a host mute).
   * The rules are checked again once the SFU has created it: a host may have acted meanwhile.
   */
  async startProducing(p: Participant, t: { transportId: string; kind: MediaKind; source: Source; rtpParameters: { codecs: readonly { mimeType: string }[] } }): Promise<{ producerId: string; paused: boolean }> {
    rules.requireMaySend(this, p, t.source);
    rules.requireE2eeSendable(this, p, t.kind, t.rtpParameters.codecs);
    const paused = t.source === 'microphone' && (p.mutedByHost || (this.#policy.muteOnEntry && !p.isHostLike && !p.enteredMuted));
    const producer = await p.media.produce({ ...t, paused });
    if (t.source === 'microphone') p.enteredMuted = true;
    try {
      rules.requireMaySend(this, p, t.source);
    } catch (error) {
      producer.close();
      throw error;
    }
    const mutedMeanwhile = t.source === 'microphone' && p.mutedByHost && !paused;
    if (mutedMeanwhile) await producer.pause();
    this.#roster.broadcast('producerAdded', { participantId: p.id, producer: { id: producer.id, kind: t.kind, source: t.source } }, p.id);
    return { producerId: producer.id, paused: paused || mutedMeanwhile };
  }

  stopProducing(p: Participant, producerId: string): void {
    p.media.producer(producerId).close();
    this.#roster.broadcast('producerClosed', { participantId: p.id, producerId }, p.id);
  }

  async pauseProducing(p: Participant, producerId: string): Promise<void> {
    await p.media.producer(producerId).pause();
  }

  /** A host mute holds until a host asks; a forbidden camera or screen stays off. */
  async resumeProducing(p: Participant, producerId: string): Promise<void> {
    const producer = p.media.producer(producerId);
    rules.requireMayResume(this, p, producer.appData.source as Source);
    await producer.resume();
  }

  /** Receives another participant's producer in this meeting (never one's own, never another meeting's). */
  async receive(p: Participant, transportId: string, producerId: string, rtpCapabilities: unknown) {
    const owner = this.participants().find((o) => o !== p && o.media.producers.has(producerId));
    const producer = owner?.media.producers.get(producerId);
    if (!owner || !producer) throw new DomainError('NOT_FOUND', 'no such producer in this meeting');
    const consumer = await p.media.consume(transportId, producerId, rtpCapabilities);
    return { consumerId: consumer.id, producerId, participantId: owner.id, kind: consumer.kind, source: producer.appData.source as Source, rtpParameters: consumer.rtpParameters };
  }

  sendChat(p: Participant, to: string | undefined, content: ChatContent): string {
    rules.requireChat(this);
    rules.requireChatForm(this, 'sealed' in content);
    const recipient = to === undefined ? null : this.#member(to);
    const message = { id: randomUUID(), from: p.id, fromName: p.displayName, to: recipient?.id ?? null, at: Date.now(), ...content } as Static<typeof ChatMessage>;
    if (!recipient) this.#roster.broadcast('chatMessage', message);
    else {
      recipient.link.notify('chatMessage', message);
      if (recipient !== p) p.link.notify('chatMessage', message);
    }
    return message.id;
  }

  /** Publishes a participant's public key bundle, once per join (it must not change under the security code). */
  announceKeys(p: Participant, bundle: string): void {
    rules.requireE2eeOn(this);
    rules.requireFirstAnnouncement(p);
    p.e2eeBundle = bundle;
    this.#roster.broadcast('e2eeKeysAnnounced', { participantId: p.id, bundle }, p.id);
  }

  relayKey(p: Participant, to: string, blob: string): void {
    rules.requireE2eeOn(this);
    this.#member(to).link.notify('e2eeKey', { from: p.id, blob });
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
    this.#roster.clear();
    this.#room.close();
    this.emit('closed', reason, memory);
  }

  /** Stops the meeting (frees its room in the SFU) once nobody is in it or waiting. */
  releaseIfEmpty(): void {
    if (this.#roster.empty) this.close();
  }

  // --- inside --------------------------------------------------------------------------------

  #add(identity: Identity, role: MeetingRole, link: MemberLink, designatedHost: boolean): Participant {
    if (role === 'participant' && this.#rememberedCohosts.has(identity.accountId)) role = 'cohost';
    const media = this.#room.participantMedia({ consumerClosed: (consumerId) => link.notify('consumerClosed', { consumerId }) });
    const participant = new Participant(randomUUID(), identity, role, media, link, designatedHost);
    participant.enteredMuted = this.#enteredMuted.has(identity.accountId);
    this.#roster.add(participant);
    this.#roster.broadcast('participantJoined', { participant: this.info(participant) }, participant.id);
    if (participant.isHostLike) this.#roster.showWaitingRoom(participant);
    return participant;
  }

  #admit(entry: Waiting): Participant {
    this.#roster.deleteWaiting(entry.id);
    const participant = this.#add(entry.identity, 'participant', entry.link, false);
    entry.link.admitted(participant);
    entry.link.notify('admitted', { meeting: this.viewFor(participant) });
    return participant;
  }

  /** Staff who wait only for a host (no waiting room) come in once one is there; guests and people removed before never do. */
  #admitThoseWaitingForAHost(): void {
    if (this.#policy.waitingRoom || !this.hostPresent) return;
    for (const w of this.waiting()) {
      if (!this.hasRoom) break;
      if (!isGuest(w.identity) && !w.previouslyRemoved) this.#admit(w);
    }
  }

  #dropWaiting(waitingId: string, why: 'denied' | 'left'): boolean {
    const entry = this.#roster.getWaiting(waitingId);
    if (!entry) return false;
    this.#roster.deleteWaiting(waitingId);
    if (why === 'denied') entry.link.notify('denied', {});
    entry.link.evicted();
    this.releaseIfEmpty();
    return true;
  }

  /** Closes all their media and tells everyone; if they were the last host, the role is inherited. */
  #removeParticipant(participant: Participant, handOverTo?: string): void {
    if (!this.#roster.delete(participant.id)) return;
    participant.media.close();
    participant.link.evicted();
    this.#roster.broadcast('participantLeft', { participantId: participant.id });
    if (participant.role === 'host' && !this.participants().some((p) => p.role === 'host')) {
      // Guests never become hosts. The heir's role is inherited: the meeting's own hosts outrank it.
      const staff = this.participants().filter((p) => !isGuest(p.identity));
      const heir = staff.find((p) => p.id === handOverTo) ?? staff.sort((a, b) => a.joinedAt - b.joinedAt)[0];
      if (heir) this.#setRole(heir, 'host');
    }
    this.releaseIfEmpty();
  }

  #setRole(participant: Participant, role: MeetingRole): void {
    const sawWaitingRoom = participant.isHostLike;
    participant.role = role;
    this.#updated(participant);
    if (participant.isHostLike && !sawWaitingRoom) this.#roster.showWaitingRoom(participant);
  }

  /** Another participant the actor outranks (NOT_FOUND for ids not in this meeting). */
  #target(actor: Participant, targetId: string): Participant {
    const who = this.#member(targetId);
    rules.requireAuthorityOver(actor, who);
    return who;
  }

  #member(participantId: string): Participant {
    const p = this.get(participantId);
    if (!p) throw new DomainError('NOT_FOUND', 'no such participant in this meeting');
    return p;
  }

  /** The hold is set first (so no resume slips in), the microphones paused at the SFU together. */
  async #hardMute(people: readonly Participant[]): Promise<void> {
    for (const p of people) p.mutedByHost = true;
    await Promise.all(people.map((p) => p.media.producerFor('microphone')?.pause()));
    for (const p of people) {
      p.link.notify('hostAction', { action: 'muted' });
      this.#updated(p);
    }
  }

  /** Closes a producer at the SFU because the rules no longer allow it, and tells everyone. */
  #stopSource(p: Participant, source: Source): void {
    const producer = p.media.producerFor(source);
    if (!producer) return;
    producer.close();
    this.#roster.broadcast('producerClosed', { participantId: p.id, producerId: producer.id });
  }

  #updated(p: Participant): void {
    this.#roster.broadcast('participantUpdated', { participant: this.info(p) });
  }
}
