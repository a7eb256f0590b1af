/**
 * A meeting's policy: what its hosts allow. Defaults come from configuration (`meetings.policy`);
 * hosts change it per meeting. The server enforces every rule (signalling and SFU), whatever a
 * client shows.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './string-enum.ts';

export const MeetingPolicy = Type.Object(
  {
    /** Everyone who is not a host waits until a host admits them. */
    waitingRoom: Type.Boolean(),
    /** Admitted people may start before any host is present. */
    joinBeforeHost: Type.Boolean(),
    /** `password`: guests with the meeting password (always through the waiting room); `none`: staff only. */
    guests: StringEnum(['none', 'password']),
    screenShare: StringEnum(['host', 'everyone']),
    chat: Type.Boolean(),
    /** File transfer is not offered; the key exists so a policy cannot silently turn it on. */
    fileTransfer: Type.Literal(false),
    recording: StringEnum(['nobody', 'host', 'everyone']),
    muteOnEntry: Type.Boolean(),
    cameraAllowed: Type.Boolean(),
    maxParticipants: Type.Integer({ minimum: 2, maximum: 1000 }),
    /**
     * End-to-end encryption (SFrame, RFC 9605): media and chat are encrypted in the browsers and
     * the server only relays them. Everyone must join with a client that encrypts; only Opus and
     * VP8 may be sent; chat travels sealed. Fixed while the meeting runs (encoded transforms are
     * attached when each sender is created); `meetings.e2eeRequired` forbids turning it off.
     */
    e2ee: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type MeetingPolicy = Static<typeof MeetingPolicy>;

/** A change to some keys of a policy. */
export const MeetingPolicyPatch = Type.Partial(MeetingPolicy, { additionalProperties: false, minProperties: 1 });
export type MeetingPolicyPatch = Static<typeof MeetingPolicyPatch>;
