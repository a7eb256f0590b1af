/**
 * A running meeting and its rules. Every change is a verb (enter, admit, mute, remove, applyPolicy,
 * startProducing, end, …) that checks who may do it (rules.ts), changes the state, tells whom it
 * concerns through their MemberLink, and returns what the caller needs. The SFU is reached only
 * through the media port (media-port.ts), so every rule runs in a unit test without a worker.
 * Signalling handlers (server/signaling) call one verb each; the wire is protocol/. Membership,
 * state and the end are in meeting-state.ts; this file adds the host controls and one's own media.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { MeetingPolicy, MeetingPolicyPatch } from '../../protocol/policy.ts';
import type { ChatMessage } from '../../protocol/signaling.ts';
import { DomainError } from '../errors.ts';
import { sourceOf, type MediaKind, type Source } from './media-port.ts';
import { MeetingState } from './meeting-state.ts';
import type { Participant } from './participant.ts';
import * as rules from './rules.ts';

export type { Entered, MeetingMemory } from './meeting-state.ts';
type ChatContent = { text: string } | { sealed: string };

/** How long someone whose connection was lost may come back in without waiting again. */
const COME_BACK_MS = 2 * 60_000;

export class Meeting extends MeetingState {
  /** Accounts whose connection was lost (not a `leave`), and when: they come back without waiting, for a while. */
  readonly #lost = new Map<string, number>();

  /** A participant's connection dropped without `leave` (a network blip, a closed laptop): they may come straight back. */
  connectionLost(p: Participant): void {
    this.#lost.set(p.identity.accountId, Date.now());
    this.leave({ participant: p });
  }

  protected override comesBack(accountId: string): boolean {
    const lostAt = this.#lost.get(accountId);
    this.#lost.delete(accountId);
    return super.comesBack(accountId) || (lostAt !== undefined && Date.now() - lostAt < COME_BACK_MS);
  }

  // --- host controls -------------------------------------------------------------------------

  /** Pauses their microphone at the SFU and holds it until a host asks them to unmute. */
  async hardMute(actor: Participant, targetId: string): Promise<void> {
    await this.#hardMute([this.target(actor, targetId)]);
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
    const who = this.target(actor, targetId);
    who.mutedByHost = false;
    who.link.notify('hostAction', { action: 'unmute-requested' });
    this.updated(who);
  }

  /** Forbids (closing their camera at the SFU) or allows a camera; never turns one on. */
  setCameraAllowed(actor: Participant, targetId: string, allowed: boolean): void {
    const who = this.target(actor, targetId);
    who.cameraForbidden = !allowed;
    if (!allowed) this.stopSource(who, 'camera');
    who.link.notify('hostAction', { action: allowed ? 'camera-allowed' : 'camera-disallowed' });
    this.updated(who);
  }

  setScreenShareAllowed(actor: Participant, targetId: string, allowed: boolean): void {
    const who = this.target(actor, targetId);
    who.screenShareByHost = allowed;
    if (!allowed) this.stopSource(who, 'screen');
    who.link.notify('hostAction', { action: allowed ? 'screen-share-allowed' : 'screen-share-disallowed' });
    this.updated(who);
  }

  setRole(actor: Participant, targetId: string, role: 'cohost' | 'participant'): void {
    rules.requireHost(actor);
    const who = this.target(actor, targetId);
    if (role === 'cohost') rules.requireMayMakeCohost(who);
    this.setRoleOf(who, role);
  }

  setLocked(actor: Participant, locked: boolean): void {
    rules.requireHostControls(actor);
    this.changeLock(locked);
    this.roster.broadcast('lockChanged', { locked });
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
    this.replacePolicy({ ...this.policy, ...patch });
    this.roster.broadcast('policyChanged', { policy: this.policy });
    for (const p of this.participants()) {
      const allowed = this.info(p);
      if (!allowed.cameraAllowed) this.stopSource(p, 'camera');
      if (!allowed.screenShareAllowed) this.stopSource(p, 'screen');
      if (JSON.stringify(this.info(p)) !== before.get(p)) this.updated(p);
    }
    this.admitThoseWaitingForAHost();
    return { policy: this.policy, stored };
  }

  /** Ends the meeting for everyone (hosts only). */
  end(actor: Participant): void {
    rules.requireHost(actor);
    this.endForEveryone();
  }

  /**
   * What a host's end does, for whoever may end any meeting (an administrator, checked by the
   * caller): everyone inside and waiting is told and let go. Returns how many were inside.
   */
  endForEveryone(): { participants: number; waiting: number } {
    const ended = { participants: this.size, waiting: this.waiting().length };
    this.close('ended');
    return ended;
  }

  /** The server is shutting down: everyone inside and waiting is told how long the meeting has. */
  announceDraining(graceSeconds: number): void {
    this.roster.broadcast('serverDraining', { graceSeconds });
    for (const w of this.waiting()) w.link.notify('serverDraining', { graceSeconds });
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
  async startProducing(
    p: Participant,
    t: { transportId: string; kind: MediaKind; source: Source; rtpParameters: { codecs: readonly { mimeType: string }[] } },
  ): Promise<{ producerId: string; paused: boolean }> {
    rules.requireMaySend(this, p, t.source);
    rules.requireE2eeSendable(this, p, t.kind, t.rtpParameters.codecs);
    const paused = t.source === 'microphone' && (p.mutedByHost || (this.policy.muteOnEntry && !p.isHostLike && !p.enteredMuted));
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
    this.roster.broadcast('producerAdded', { participantId: p.id, producer: { id: producer.id, kind: t.kind, source: t.source } }, p.id);
    return { producerId: producer.id, paused: paused || mutedMeanwhile };
  }

  stopProducing(p: Participant, producerId: string): void {
    p.media.producer(producerId).close();
    this.roster.broadcast('producerClosed', { participantId: p.id, producerId }, p.id);
  }

  async pauseProducing(p: Participant, producerId: string): Promise<void> {
    await p.media.producer(producerId).pause();
  }

  /** A host mute holds until a host asks; a forbidden camera or screen stays off. */
  async resumeProducing(p: Participant, producerId: string): Promise<void> {
    const producer = p.media.producer(producerId);
    rules.requireMayResume(this, p, sourceOf(producer));
    await producer.resume();
  }

  /** Receives another participant's producer in this meeting (never one's own, never another meeting's). */
  async receive(p: Participant, transportId: string, producerId: string, rtpCapabilities: unknown) {
    const owner = this.participants().find((o) => o !== p && o.media.producers.has(producerId));
    const producer = owner?.media.producers.get(producerId);
    if (!owner || !producer) throw new DomainError('NOT_FOUND', 'no such producer in this meeting');
    const consumer = await p.media.consume(transportId, producerId, rtpCapabilities);
    return {
      consumerId: consumer.id,
      producerId,
      participantId: owner.id,
      kind: consumer.kind,
      source: sourceOf(producer),
      rtpParameters: consumer.rtpParameters,
    };
  }

  sendChat(p: Participant, to: string | undefined, content: ChatContent): string {
    rules.requireChat(this);
    rules.requireChatForm(this, 'sealed' in content);
    const recipient = to === undefined ? null : this.member(to);
    const message = { id: randomUUID(), from: p.id, fromName: p.displayName, to: recipient?.id ?? null, at: Date.now(), ...content } as Static<
      typeof ChatMessage
    >;
    if (!recipient) this.roster.broadcast('chatMessage', message);
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
    this.roster.broadcast('e2eeKeysAnnounced', { participantId: p.id, bundle }, p.id);
  }

  relayKey(p: Participant, to: string, blob: string): void {
    rules.requireE2eeOn(this);
    this.member(to).link.notify('e2eeKey', { from: p.id, blob });
  }

  /** The hold is set first (so no resume slips in), the microphones paused at the SFU together. */
  async #hardMute(people: readonly Participant[]): Promise<void> {
    for (const p of people) p.mutedByHost = true;
    await Promise.all(people.map((p) => p.media.producerFor('microphone')?.pause() ?? Promise.resolve()));
    for (const p of people) {
      p.link.notify('hostAction', { action: 'muted' });
      this.updated(p);
    }
  }
}
