/** RTP parameters a test sends with `produce`, as mediasoup-client would (one SSRC per track). */
export const OPUS = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 1111 }] };
export const VP8 = { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 2222 }] };
/** A second video track on the same transport needs its own SSRC. */
export const VP8_SCREEN = { ...VP8, encodings: [{ ssrc: 3333 }] };
/** What a receiving browser can take (mediasoup-client's `device.rtpCapabilities`, trimmed). */
export const RECV_CAPS = {
  codecs: [
    { kind: 'audio' as const, mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
    { kind: 'video' as const, mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101 },
  ],
};
