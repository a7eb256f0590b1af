/**
 * Someone admitted to a running meeting: their role, what hosts allow them, and their media.
 * Someone not yet admitted is a `Waiting` entry: no media at all.
 */
import type { Static } from '@sinclair/typebox';
import { sourceOf, type ParticipantMediaPort } from './media-port.ts';
import type { NotificationName, NotificationParams, ParticipantInfo, Role } from '../../protocol/signaling.ts';

export type MeetingRole = Static<typeof Role>;
/** What everyone sees of a participant; each viewer's view adds their own controls (views.ts). */
export type ParticipantFacts = Omit<Static<typeof ParticipantInfo>, 'controls' | 'meetingControls'>;

/** How the meeting reaches the connection of a participant or a waiting person. */
export interface MemberLink {
  notify<N extends NotificationName>(name: N, params: NotificationParams<N>): void;
  /** Admitted from the waiting room: the connection now holds this participant. */
  admitted(participant: Participant): void;
  /** No longer in the meeting (left, removed, denied, ended, media failure): forget it. */
  evicted(): void;
}

export interface Identity {
  /** The account id, or `guest:<device>` for a guest. */
  accountId: string;
  displayName: string;
  /** Staff: the account's username, shown to hosts beside the name (two people may share a name). */
  username?: string | undefined;
  /** For guests: their guest session, ended when a host bans them. */
  guestSessionHash?: string | undefined;
}

/** Why someone waits: the meeting has a waiting room (guests always do), or no host is there yet. */
export type WaitingReason = 'waiting-room' | 'no-host';

export interface Waiting {
  readonly id: string;
  readonly identity: Identity;
  readonly since: number;
  readonly reason: WaitingReason;
  readonly previouslyRemoved: boolean;
  readonly link: MemberLink;
}

/** A guest: entered with the meeting password, without an account. */
export function isGuest(identity: Identity): boolean {
  return identity.guestSessionHash !== undefined;
}

export class Participant {
  readonly id: string;
  readonly identity: Identity;
  readonly media: ParticipantMediaPort;
  readonly link: MemberLink;
  readonly joinedAt = Date.now();
  role: MeetingRole;
  /**
   * One of the meeting's own hosts (or its owner), as stored — not someone who inherited the host
   * role when the last host dropped out, or was handed it. Only they change the stored policy,
   * and they outrank an inherited host.
   */
  readonly designatedHost: boolean;
  /** A host paused this person's microphone; they may not resume it until a host asks. */
  mutedByHost = false;
  /** A host forbade this person's camera. */
  cameraForbidden = false;
  /** A host's decision on this person's screen sharing; unset, the policy decides. */
  screenShareByHost: boolean | undefined;
  /** The microphone was started paused once already (mute on entry applies to the first one). */
  enteredMuted = false;
  /** Latest public key bundle for end-to-end encryption (opaque to the server). */
  e2eeBundle: string | undefined;

  constructor(id: string, identity: Identity, role: MeetingRole, media: ParticipantMediaPort, link: MemberLink, designatedHost = false) {
    this.id = id;
    this.identity = identity;
    this.role = role;
    this.designatedHost = designatedHost;
    this.media = media;
    this.link = link;
  }

  get displayName(): string {
    return this.identity.displayName;
  }

  get isHostLike(): boolean {
    return this.role === 'host' || this.role === 'cohost';
  }

  info(policy: { cameraAllowed: boolean; screenShare: 'host' | 'everyone' }): ParticipantFacts {
    return {
      id: this.id,
      displayName: this.displayName,
      role: this.role,
      guest: isGuest(this.identity),
      producers: [...this.media.producers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        source: sourceOf(p),
      })),
      mutedByHost: this.mutedByHost,
      cameraAllowed: !this.cameraForbidden && (policy.cameraAllowed || this.isHostLike),
      screenShareAllowed: this.screenShareByHost ?? (policy.screenShare === 'everyone' || this.isHostLike),
      ...(this.e2eeBundle ? { e2eeBundle: this.e2eeBundle } : {}),
    };
  }
}
