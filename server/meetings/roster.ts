/**
 * Who is in a running meeting and who waits, and how to tell them: everyone inside, or only
 * those who see the waiting room (hosts and co-hosts). No rules here: the meeting decides.
 */
import type { NotificationName, NotificationParams } from '../../protocol/signaling.ts';
import { isGuest, type Participant, type Waiting } from './participant.ts';

export type WaitingInfo = NotificationParams<'waitingAdded'>['entry'];

export class Roster {
  readonly #participants = new Map<string, Participant>();
  readonly #waiting = new Map<string, Waiting>();

  /** Admitted participants (the waiting room does not count). */
  get size(): number {
    return this.#participants.size;
  }

  get empty(): boolean {
    return this.#participants.size === 0 && this.#waiting.size === 0;
  }

  get hostPresent(): boolean {
    for (const p of this.#participants.values()) if (p.isHostLike) return true;
    return false;
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

  add(p: Participant): void {
    this.#participants.set(p.id, p);
  }

  delete(participantId: string): boolean {
    return this.#participants.delete(participantId);
  }

  addWaiting(w: Waiting): void {
    this.#waiting.set(w.id, w);
    this.toHosts('waitingAdded', { entry: waitingInfo(w) });
  }

  deleteWaiting(waitingId: string): boolean {
    if (!this.#waiting.delete(waitingId)) return false;
    this.toHosts('waitingRemoved', { waitingId });
    return true;
  }

  /** How many places (inside or waiting) one person holds, over all their connections. */
  placesOf(accountId: string): number {
    let n = 0;
    for (const p of this.#participants.values()) if (p.identity.accountId === accountId) n++;
    for (const w of this.#waiting.values()) if (w.identity.accountId === accountId) n++;
    return n;
  }

  broadcast<N extends NotificationName>(name: N, params: NotificationParams<N>, exceptParticipantId?: string): void {
    for (const p of this.#participants.values()) if (p.id !== exceptParticipantId) p.link.notify(name, params);
  }

  /** One notification to everyone inside, its params made for each recipient (views with their own controls). */
  broadcastEach<N extends NotificationName>(name: N, paramsFor: (recipient: Participant) => NotificationParams<N>, exceptParticipantId?: string): void {
    for (const p of this.#participants.values()) if (p.id !== exceptParticipantId) p.link.notify(name, paramsFor(p));
  }

  /** Hosts and co-hosts see who waits; nobody else does. */
  toHosts<N extends NotificationName>(name: N, params: NotificationParams<N>): void {
    for (const p of this.#participants.values()) if (p.isHostLike) p.link.notify(name, params);
  }

  /** The whole waiting room, once, to someone who just became able to see it. */
  showWaitingRoom(p: Participant): void {
    p.link.notify('waitingRoomChanged', { waiting: this.waiting().map(waitingInfo) });
  }

  clear(): void {
    this.#participants.clear();
    this.#waiting.clear();
  }
}

function waitingInfo(w: Waiting): WaitingInfo {
  const staff = !isGuest(w.identity) && w.identity.username !== undefined ? { username: w.identity.username } : {};
  return { id: w.id, displayName: w.identity.displayName, guest: isGuest(w.identity), ...staff, previouslyRemoved: w.previouslyRemoved, since: w.since };
}
