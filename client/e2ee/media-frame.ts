/**
 * How an encoded media frame is end-to-end encrypted: the few codec bytes the SFU and the
 * receiver's depacketizer must read stay in clear, the rest becomes one RFC 9605 SFrame
 * ciphertext, and the clear bytes are authenticated as SFrame metadata (so they cannot be altered
 * in transit either):
 *
 *     clear prefix ‖ SFrame header ‖ AES-256-GCM(rest of frame) ‖ tag
 *
 * - VP8: the whole uncompressed data chunk, 10 bytes on key frames and 3 on delta frames
 *   (RFC 6386 §9.1). mediasoup detects key frames from bit 0 of the first byte (0: key frame), so
 *   without it in clear no consumer would ever start.
 * - Opus: the TOC byte (RFC 6716 §3.1): mode, bandwidth and frame count, no audio content.
 *
 * Whether a VP8 frame is a key frame is read from its own first byte, on both sides, so sender and
 * receiver always agree on the split; a flipped bit changes the metadata and fails authentication.
 */
import { concatBytes, type Bytes } from './bytes.ts';
import { decrypt, encrypt, SFrameError, type ReplayWindow, type SFrameKey } from './sframe.ts';

export type FrameKind = 'audio' | 'video';

const VP8_KEY_FRAME_CLEAR_BYTES = 10;
const VP8_DELTA_FRAME_CLEAR_BYTES = 3;
const OPUS_CLEAR_BYTES = 1;
/** The smallest SFrame ciphertext: a one-byte header and the 16-byte tag of an empty plaintext. */
const MIN_SFRAME_BYTES = 1 + 16;

/** How many leading bytes of this frame stay in clear. */
export function clearPrefixLength(kind: FrameKind, frame: Uint8Array): number {
  if (kind === 'audio') return OPUS_CLEAR_BYTES;
  const first = frame[0];
  if (first === undefined) return 0;
  return (first & 0x01) === 0 ? VP8_KEY_FRAME_CLEAR_BYTES : VP8_DELTA_FRAME_CLEAR_BYTES;
}

/** Encrypts one encoded frame under `key` with counter `ctr` (never reused under one key). */
export async function encryptFrame(key: SFrameKey, ctr: bigint, kind: FrameKind, frame: Uint8Array): Promise<Bytes> {
  const prefix = frame.subarray(0, Math.min(clearPrefixLength(kind, frame), frame.length));
  const sealed = await encrypt({ key, ctr, metadata: prefix, plaintext: frame.subarray(prefix.length) });
  return concatBytes(prefix, sealed);
}

/**
 * Opens one received frame. Refusals are SFrameErrors (MALFORMED_HEADER for a frame too short to
 * hold a prefix and an SFrame, then as `decrypt`); the caller drops the frame.
 */
export async function decryptFrame(params: {
  keys: (kid: bigint) => SFrameKey | undefined;
  kind: FrameKind;
  frame: Uint8Array;
  replayWindow?: ReplayWindow;
}): Promise<{ kid: bigint; ctr: bigint; frame: Bytes }> {
  const { kind, frame } = params;
  const prefixLength = clearPrefixLength(kind, frame);
  if (frame.length < prefixLength + MIN_SFRAME_BYTES) throw new SFrameError('MALFORMED_HEADER', 'frame too short for an SFrame ciphertext');
  const prefix = frame.subarray(0, prefixLength);
  const opened = await decrypt({ keys: params.keys, metadata: prefix, frame: frame.subarray(prefixLength), replayWindow: params.replayWindow });
  return { kid: opened.kid, ctr: opened.ctr, frame: concatBytes(prefix, opened.plaintext) };
}

/** The SFrame header's KID for a key epoch: its low byte, so the header stays 1–2 bytes long. */
export function kidForEpoch(epoch: number): bigint {
  return BigInt(epoch & 0xff);
}
