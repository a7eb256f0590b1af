/**
 * Recinto's signalling protocol, typed once and shared by the server and the browser client
 * (protocol/ imports nothing of either).
 *
 * Every message is one JSON text frame on the WebSocket at /ws. The client sends requests, the
 * server answers each with exactly one response carrying the same id, and pushes notifications.
 * Every schema here is what the server validates incoming data against; a type is derived from
 * each with `Static<>`, so the server handlers and the client's request helper cannot disagree.
 * Human-readable description: docs/protocol.md.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DisplayName, MeetingId, ObjectId } from './ids.ts';
import { MeetingPolicy, MeetingPolicyPatch } from './policy.ts';
import { StringEnum } from './string-enum.ts';

/** Upper bound for `signaling.maxMessageBytes`: larger messages get MESSAGE_TOO_LARGE. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

import type { ErrorCode } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// Building blocks

export const MediaKind = StringEnum(['audio', 'video']);
export const MediaSource = StringEnum(['microphone', 'camera', 'screen']);

const ShortString = Type.String({ maxLength: 256 });
const Int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });
/** Codec or header-extension parameters (`a=fmtp`): a handful of keys in practice, 32 at most. */
const CodecParameters = Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number()]), { maxProperties: 32 });
const RtcpFeedback = Type.Array(Type.Object({ type: ShortString, parameter: Type.Optional(ShortString) }), { maxItems: 16 });

const RtpCodecCapability = Type.Object({
  kind: MediaKind,
  mimeType: ShortString,
  preferredPayloadType: Type.Optional(Int(0, 127)),
  clockRate: Int(1, 1_000_000),
  channels: Type.Optional(Int(1, 8)),
  parameters: Type.Optional(CodecParameters),
  rtcpFeedback: Type.Optional(RtcpFeedback),
});
const HeaderExtensionCapability = Type.Object({
  kind: MediaKind,
  uri: ShortString,
  preferredId: Int(1, 255),
  preferredEncrypt: Type.Optional(Type.Boolean()),
  direction: Type.Optional(ShortString),
});
/** What a browser can receive (mediasoup-client's `device.rtpCapabilities`). */
export const RtpCapabilities = Type.Object({
  codecs: Type.Optional(Type.Array(RtpCodecCapability, { maxItems: 64 })),
  headerExtensions: Type.Optional(Type.Array(HeaderExtensionCapability, { maxItems: 64 })),
});

/** What a browser will send (mediasoup-client's `rtpParameters` in the `produce` event). */
export const RtpParameters = Type.Object({
  mid: Type.Optional(ShortString),
  codecs: Type.Array(
    Type.Object({
      mimeType: ShortString,
      payloadType: Int(0, 127),
      clockRate: Int(1, 1_000_000),
      channels: Type.Optional(Int(1, 8)),
      parameters: Type.Optional(CodecParameters),
      rtcpFeedback: Type.Optional(RtcpFeedback),
    }),
    { minItems: 1, maxItems: 16 },
  ),
  headerExtensions: Type.Optional(
    Type.Array(
      Type.Object({
        uri: ShortString,
        id: Int(1, 255),
        encrypt: Type.Optional(Type.Boolean()),
        parameters: Type.Optional(CodecParameters),
      }),
      { maxItems: 32 },
    ),
  ),
  encodings: Type.Optional(
    Type.Array(
      Type.Object({
        ssrc: Type.Optional(Int(0, 0xffffffff)),
        rid: Type.Optional(ShortString),
        codecPayloadType: Type.Optional(Int(0, 127)),
        rtx: Type.Optional(Type.Object({ ssrc: Int(0, 0xffffffff) })),
        dtx: Type.Optional(Type.Boolean()),
        scalabilityMode: Type.Optional(ShortString),
        maxBitrate: Type.Optional(Int(0, 100_000_000)),
        maxFramerate: Type.Optional(Type.Number({ minimum: 0, maximum: 240 })),
        scaleResolutionDownBy: Type.Optional(Type.Number({ minimum: 1, maximum: 64 })),
        active: Type.Optional(Type.Boolean()),
      }),
      { maxItems: 8 },
    ),
  ),
  rtcp: Type.Optional(Type.Object({ cname: Type.Optional(ShortString), reducedSize: Type.Optional(Type.Boolean()), mux: Type.Optional(Type.Boolean()) })),
  msid: Type.Optional(ShortString),
});

export const DtlsParameters = Type.Object({
  role: Type.Optional(StringEnum(['auto', 'client', 'server'])),
  fingerprints: Type.Array(
    Type.Object({
      algorithm: StringEnum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']),
      value: Type.String({ maxLength: 191, pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,63}$' }),
    }),
    { minItems: 1, maxItems: 8 },
  ),
});

/** Opaque transport description the browser needs; produced by the server only. */
/** A TURN server for the browser's ICE agent (RTCIceServer), with ephemeral credentials. */
export const IceServer = Type.Object({
  /** `turn:host:port?transport=udp|tcp`, `turns:host:port?transport=tcp`. */
  urls: Type.Array(Type.String({ maxLength: 256 }), { minItems: 1, maxItems: 6 }),
  /** `<expiry unix seconds>:<participant id>`: valid until then, for this participant only. */
  username: Type.String({ maxLength: 128 }),
  credential: Type.String({ maxLength: 128 }),
});
export const TransportInfo = Type.Object({
  id: ObjectId,
  iceParameters: Type.Unknown(),
  iceCandidates: Type.Unknown(),
  dtlsParameters: Type.Unknown(),
  /** TURN relays to reach the SFU through (when the server has TURN configured): for networks that allow little more than HTTPS. */
  iceServers: Type.Optional(Type.Array(IceServer, { maxItems: 2 })),
});

export const ProducerInfo = Type.Object({ id: ObjectId, kind: MediaKind, source: MediaSource });
/** Opaque end-to-end-encryption material, base64: the server relays it and never reads it. */
const E2eeBlob = (maxChars: number) => Type.String({ minLength: 4, maxLength: maxChars, pattern: '^[A-Za-z0-9+/]+={0,2}$' });
/** Base64 of at most 4096 bytes. */
export const E2eePublicBundle = E2eeBlob(Math.ceil(4096 / 3) * 4);
export const E2eeKeyBlob = E2eeBlob(Math.ceil(4096 / 3) * 4);
/** A chat message encrypted end to end by the sender's client: base64, at most 16384 characters. */
export const SealedChat = E2eeBlob(16384);
export const Role = StringEnum(['host', 'cohost', 'participant']);
/** Host controls on one person, as listed in a participant view (`controls`): each is the signalling method of that name. */
export const PersonControl = StringEnum(['mute', 'askToUnmute', 'setCameraAllowed', 'setScreenShareAllowed', 'setRole', 'remove', 'ban']);
/** The meeting's own controls a person holds (`meetingControls`, in their own view only). 'admit' covers admit, admitAll and deny. */
export const MeetingControl = StringEnum(['admit', 'muteAll', 'setLocked', 'updatePolicy', 'endMeeting']);
/**
 * One participant as one person sees them: the facts are the same for everyone; `controls` (and,
 * in one's own view, `meetingControls`) are the receiver's, computed by the rules the server enforces.
 */
export const ParticipantInfo = Type.Object({
  id: ObjectId,
  displayName: DisplayName,
  role: Role,
  /** Entered with the meeting password, without an account. */
  guest: Type.Boolean(),
  producers: Type.Array(ProducerInfo, { maxItems: 3 }),
  /** Microphone muted by a host: the participant cannot unmute until a host asks. */
  mutedByHost: Type.Boolean(),
  cameraAllowed: Type.Boolean(),
  screenShareAllowed: Type.Boolean(),
  /** The participant's latest public key bundle for end-to-end encryption, if announced. */
  e2eeBundle: Type.Optional(E2eePublicBundle),
  /**
   * What the person receiving this view may do to this participant: `[]` in one's own view and for
   * anyone one does not outrank. `ban` is `remove` with `ban: true`; `setRole` only where the
   * receiver may change this participant's role (a guest can be made nothing but a participant).
   */
  controls: Type.Array(PersonControl, { maxItems: 7 }),
  /** In one's own view only (`self`, and `participantUpdated` about oneself): the meeting's controls one holds. */
  meetingControls: Type.Optional(Type.Array(MeetingControl, { maxItems: 5 })),
});
/** Someone in the waiting room, as hosts see them. */
export const WaitingInfo = Type.Object({
  id: ObjectId,
  displayName: DisplayName,
  guest: Type.Boolean(),
  /** Staff only: their username, so hosts can tell two people of the same name apart. */
  username: Type.Optional(Type.String({ maxLength: 64 })),
  /** Removed from this meeting before (and back with a new session): hosts decide, one by one. */
  previouslyRemoved: Type.Boolean(),
  since: Type.Integer(),
});
export const ChatText = Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S' });
const ChatMessageFields = {
  id: ObjectId,
  from: ObjectId,
  fromName: DisplayName,
  /** null: to everyone; otherwise the one recipient (and the sender sees it too). */
  to: Type.Union([ObjectId, Type.Null()]),
  at: Type.Integer(),
};
/** A chat message in a meeting without end-to-end encryption: the server relays its text. */
export const ChatMessageText = Type.Object({ ...ChatMessageFields, text: ChatText }, { additionalProperties: false });
/** A chat message in an end-to-end encrypted meeting: only the participants can open `sealed`. */
export const ChatMessageSealed = Type.Object({ ...ChatMessageFields, sealed: SealedChat }, { additionalProperties: false });
/** Exactly one of `text` (meetings without E2EE) or `sealed` (E2EE meetings). */
export const ChatMessage = Type.Union([ChatMessageText, ChatMessageSealed]);
/** Everything a participant needs once inside (after join, or when admitted). */
export const MeetingView = Type.Object({
  self: ParticipantInfo,
  title: Type.String(),
  policy: MeetingPolicy,
  locked: Type.Boolean(),
  routerRtpCapabilities: Type.Unknown(),
  participants: Type.Array(ParticipantInfo, { maxItems: 1000 }),
});

const Empty = Type.Object({}, { additionalProperties: false });
/** Request params: unknown fields are refused, so a typo never silently does nothing. */
const Params = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** `sendChat` in a meeting without end-to-end encryption. */
export const SendChatText = Params({ to: Type.Optional(ObjectId), text: ChatText });
/** `sendChat` in an end-to-end encrypted meeting. */
export const SendChatSealed = Params({ to: Type.Optional(ObjectId), sealed: SealedChat });

// ---------------------------------------------------------------------------------------------
// Requests: method name → params and result schemas.

export const Methods = {
  /**
   * Enter a meeting as the signed-in account (display name from the account). Hosts enter
   * directly; others wait in the waiting room (or until a host arrives) and receive `admitted`.
   */
  join: {
    /**
     * `e2ee`: this client encrypts media and chat end to end. Without it, meetings whose policy
     * has `e2ee` on refuse you (E2EE_UNSUPPORTED), the waiting room too.
     */
    params: Params({ meetingId: MeetingId, e2ee: Type.Boolean() }),
    result: Type.Union([
      Type.Object({ status: Type.Literal('joined'), meeting: MeetingView }),
      Type.Object({ status: Type.Literal('waiting'), waitingId: ObjectId, reason: StringEnum(['waiting-room', 'no-host']) }),
    ]),
  },
  createTransport: {
    params: Params({ direction: StringEnum(['send', 'recv']) }),
    result: TransportInfo,
  },
  connectTransport: {
    params: Params({ transportId: ObjectId, dtlsParameters: DtlsParameters }),
    result: Empty,
  },
  /**
   * New ICE credentials for one of your transports, after the network changed (Wi-Fi to mobile,
   * a VPN): the browser restarts ICE with them and finds a path again (through TURN if need be).
   */
  restartIce: {
    params: Params({ transportId: ObjectId }),
    result: Type.Object({ iceParameters: Type.Unknown() }),
  },
  produce: {
    params: Params({ transportId: ObjectId, kind: MediaKind, source: MediaSource, rtpParameters: RtpParameters }),
    /** `paused`: started paused at the SFU (mute on entry, or muted by a host). */
    result: Type.Object({ producerId: ObjectId, paused: Type.Boolean() }),
  },
  closeProducer: {
    params: Params({ producerId: ObjectId }),
    result: Empty,
  },
  /** Receive one producer. The consumer starts paused; call resumeConsumer once it is wired up. */
  consume: {
    params: Params({ transportId: ObjectId, producerId: ObjectId, rtpCapabilities: RtpCapabilities }),
    result: Type.Object({
      consumerId: ObjectId,
      producerId: ObjectId,
      participantId: ObjectId,
      kind: MediaKind,
      source: MediaSource,
      rtpParameters: Type.Unknown(),
    }),
  },
  resumeConsumer: {
    params: Params({ consumerId: ObjectId }),
    result: Empty,
  },
  /**
   * How this page shows what it receives (sent when tiles appear, change size or scroll, debounced):
   * per video consumer, whether its tile is visible and how tall it is drawn, in CSS pixels. The
   * server pauses the consumers of tiles that are not visible and picks each simulcast consumer's
   * layer from its height (below 200 px the lowest, below 400 px the middle, else the highest);
   * mediasoup lowers it further when the receiver's downlink is short. Consumers not named keep
   * what they had (visible, highest layer); ids of consumers closed meanwhile are skipped.
   */
  setReceiveLayers: {
    params: Params({
      consumers: Type.Array(Type.Object({ consumerId: ObjectId, visible: Type.Boolean(), height: Int(0, 4320) }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 200,
      }),
    }),
    result: Type.Object({ applied: Type.Integer({ minimum: 0 }) }),
  },
  /** Leave (from the meeting or the waiting room). A host may hand the host role to someone. */
  leave: { params: Params({ handOverTo: Type.Optional(ObjectId) }), result: Empty },

  // --- your own media ---
  pauseProducer: { params: Params({ producerId: ObjectId }), result: Empty },
  /** Refused with HOST_MUTED / CAMERA_NOT_ALLOWED while a host forbids it. */
  resumeProducer: { params: Params({ producerId: ObjectId }), result: Empty },

  // --- chat (refused with CHAT_DISABLED when the policy has it off) ---
  /**
   * Exactly one of `text` (meetings without E2EE; E2EE_REQUIRED in encrypted ones) or `sealed`
   * (encrypted meetings; E2EE_OFF elsewhere).
   */
  sendChat: { params: Type.Union([SendChatText, SendChatSealed]), result: Type.Object({ messageId: ObjectId }) },

  // --- end-to-end encryption: opaque material the server only relays ---
  /** Publishes your public key bundle to everyone in the meeting (and to those who join later). */
  announceE2eeKeys: { params: Params({ bundle: E2eePublicBundle }), result: Empty },
  /** Hands one participant a wrapped sender key; only they receive it. */
  sendE2eeKey: { params: Params({ to: ObjectId, blob: E2eeKeyBlob }), result: Empty },

  // --- host controls (hosts and co-hosts; FORBIDDEN for others) ---
  admit: { params: Params({ waitingId: ObjectId }), result: Empty },
  admitAll: { params: Empty, result: Type.Object({ admitted: Type.Integer() }) },
  deny: { params: Params({ waitingId: ObjectId }), result: Empty },
  /** Pauses the participant's microphone at the SFU; they cannot resume it until asked. */
  mute: { params: Params({ participantId: ObjectId }), result: Empty },
  muteAll: { params: Empty, result: Type.Object({ muted: Type.Integer() }) },
  /** Lifts a host mute and asks the participant to unmute; they decide (no remote unmute). */
  askToUnmute: { params: Params({ participantId: ObjectId }), result: Empty },
  /** Forbids (closing their camera) or allows a participant's camera. Never turns a camera on. */
  setCameraAllowed: { params: Params({ participantId: ObjectId, allowed: Type.Boolean() }), result: Empty },
  setScreenShareAllowed: { params: Params({ participantId: ObjectId, allowed: Type.Boolean() }), result: Empty },
  /** Removes a participant (closing all their media); with `ban`, they cannot come back. */
  remove: { params: Params({ participantId: ObjectId, ban: Type.Boolean() }), result: Empty },
  setRole: { params: Params({ participantId: ObjectId, role: StringEnum(['cohost', 'participant']) }), result: Empty },
  setLocked: { params: Params({ locked: Type.Boolean() }), result: Empty },
  updatePolicy: { params: Params({ policy: MeetingPolicyPatch }), result: Type.Object({ policy: MeetingPolicy }) },
  endMeeting: { params: Empty, result: Empty },
} as const satisfies Record<string, { params: TSchema; result: TSchema }>;

export type MethodName = keyof typeof Methods;
export type Params<M extends MethodName> = Static<(typeof Methods)[M]['params']>;
export type Result<M extends MethodName> = Static<(typeof Methods)[M]['result']>;

// ---------------------------------------------------------------------------------------------
// Notifications: server → client, no reply.

export const Notifications = {
  participantJoined: Type.Object({ participant: ParticipantInfo }),
  participantLeft: Type.Object({ participantId: ObjectId }),
  producerAdded: Type.Object({ participantId: ObjectId, producer: ProducerInfo }),
  producerClosed: Type.Object({ participantId: ObjectId, producerId: ObjectId }),
  consumerClosed: Type.Object({ consumerId: ObjectId }),
  /**
   * Who speaks now (mediasoup's ActiveSpeakerObserver over the microphones' audio level, a header
   * extension the SFU reads in the clear: docs/e2ee.md). To everyone inside; nobody waiting.
   */
  dominantSpeaker: Type.Object({ participantId: ObjectId }),
  /**
   * The server is shutting down (SIGTERM: a restart or an update): it takes no new joins, and ends
   * the meetings once everyone has left or after `graceSeconds`.
   */
  serverDraining: Type.Object({ graceSeconds: Type.Integer({ minimum: 0, maximum: 3600 }) }),
  /** The media server under this meeting failed; leave and join again. */
  reconnect: Type.Object({ reason: StringEnum(['media-worker-died', 'server-shutdown']) }),
  /** You were admitted from the waiting room (or a host arrived). */
  admitted: Type.Object({ meeting: MeetingView }),
  /** A host turned you away from the waiting room. */
  denied: Type.Object({}),
  /**
   * To hosts and co-hosts: everyone waiting, once, when you become able to see the waiting room
   * (joining as a host, or made co-host); after that, `waitingAdded` / `waitingRemoved`.
   */
  waitingRoomChanged: Type.Object({ waiting: Type.Array(WaitingInfo, { maxItems: 1000 }) }),
  /** To hosts and co-hosts: someone started waiting. */
  waitingAdded: Type.Object({ entry: WaitingInfo }),
  /** To hosts and co-hosts: someone no longer waits (admitted, denied, left, removed). */
  waitingRemoved: Type.Object({ waitingId: ObjectId }),
  /**
   * To hosts and co-hosts: the meeting password was changed (a guest was banned: a new browser
   * cannot be recognised, so the old invitation stops working). `password` only for the
   * meeting's own hosts, who also see it in the meetings API.
   */
  passwordChanged: Type.Object({ password: Type.Optional(Type.String({ maxLength: 64 })) }),
  /**
   * Someone's role or host-controlled permissions changed (you included), or what you may do to
   * them did (your own role changed: one for each participant whose `controls` changed for you).
   */
  participantUpdated: Type.Object({ participant: ParticipantInfo }),
  /** A host acted on you: shown as a notice. */
  hostAction: Type.Object({
    action: StringEnum(['muted', 'unmute-requested', 'camera-disallowed', 'camera-allowed', 'screen-share-allowed', 'screen-share-disallowed']),
  }),
  /** You were removed by a host; with `banned`, you cannot come back. */
  removed: Type.Object({ banned: Type.Boolean() }),
  policyChanged: Type.Object({ policy: MeetingPolicy }),
  lockChanged: Type.Object({ locked: Type.Boolean() }),
  meetingEnded: Type.Object({}),
  chatMessage: ChatMessage,
  e2eeKeysAnnounced: Type.Object({ participantId: ObjectId, bundle: E2eePublicBundle }),
  e2eeKey: Type.Object({ from: ObjectId, blob: E2eeKeyBlob }),
} as const satisfies Record<string, TSchema>;

export type NotificationName = keyof typeof Notifications;
export type NotificationParams<N extends NotificationName> = Static<(typeof Notifications)[N]>;

// ---------------------------------------------------------------------------------------------
// Envelopes

export const RequestEnvelope = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }),
    method: Type.String({ minLength: 1, maxLength: 64 }),
    params: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type RequestEnvelope = Static<typeof RequestEnvelope>;

export type ErrorBody = { code: ErrorCode; message: string };
export type ResponseEnvelope = { id: number; ok: true; result: unknown } | { id: number | null; ok: false; error: ErrorBody };
export type NotificationEnvelope<N extends NotificationName = NotificationName> = {
  notification: N;
  params: NotificationParams<N>;
};
export type ServerMessage = ResponseEnvelope | NotificationEnvelope;
