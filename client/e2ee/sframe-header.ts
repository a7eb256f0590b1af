/**
 * SFrame header codec (RFC 9605 §4.3).
 *
 * Config byte `X KKK Y CCC`: a KID (resp. CTR) below 8 sits in K (resp. C) with X (resp. Y) clear;
 * otherwise the flag is set, the 3 bits hold the byte length minus one, and the value follows as a
 * minimal big-endian integer, KID before CTR.
 */
import { bigEndian, concatBytes, isUint64, readBigEndian, type Bytes } from './bytes.ts';
import { SFrameError } from './sframe-error.ts';

export type SFrameHeader = {
  kid: bigint;
  ctr: bigint;
  /** Bytes the header occupies at the start of the frame; the ciphertext follows. */
  length: number;
};

const INLINE_LIMIT = 8n;

export function encodeHeader(kid: bigint, ctr: bigint): Bytes {
  if (!isUint64(kid) || !isUint64(ctr)) throw new RangeError('SFrame KID and CTR must be unsigned 64-bit integers');
  const kidField = encodeField(kid);
  const ctrField = encodeField(ctr);
  const config = (kidField.bits << 4) | ctrField.bits;
  return concatBytes(Uint8Array.of(config), kidField.extension, ctrField.extension);
}

/**
 * Parses the header at the start of `frame`. Any malformed or truncated input yields an
 * SFrameError('MALFORMED_HEADER') — never another exception, never a read past the buffer.
 */
export function decodeHeader(frame: Uint8Array): SFrameHeader {
  const config = frame[0];
  if (config === undefined) throw malformed('empty frame');
  let offset = 1;
  const kid = decodeField(frame, config >> 4, offset, 'KID');
  offset += kid.extensionLength;
  const ctr = decodeField(frame, config & 0x0f, offset, 'CTR');
  offset += ctr.extensionLength;
  return { kid: kid.value, ctr: ctr.value, length: offset };
}

/** `bits` is the 4-bit half of the config byte (flag + 3 bits); `extension` the bytes after it. */
function encodeField(value: bigint): { bits: number; extension: Bytes } {
  if (value < INLINE_LIMIT) return { bits: Number(value), extension: new Uint8Array(0) };
  const length = minimalByteLength(value);
  return { bits: 0b1000 | (length - 1), extension: bigEndian(value, length) };
}

function decodeField(frame: Uint8Array, bits: number, offset: number, name: 'KID' | 'CTR'): { value: bigint; extensionLength: number } {
  if ((bits & 0b1000) === 0) return { value: BigInt(bits), extensionLength: 0 };
  const length = (bits & 0b0111) + 1;
  if (offset + length > frame.length) throw malformed(`truncated ${name}`);
  const value = readBigEndian(frame, offset, length);
  // Minimal encoding is a MUST in RFC 9605; refusing other forms keeps exactly one valid
  // byte string per (KID, CTR), so nothing downstream has to reason about aliases.
  if (value < INLINE_LIMIT || minimalByteLength(value) !== length) throw malformed(`non-minimal ${name}`);
  return { value, extensionLength: length };
}

function minimalByteLength(value: bigint): number {
  let length = 1;
  while (value >> BigInt(8 * length) > 0n) length++;
  return length;
}

function malformed(detail: string): SFrameError {
  return new SFrameError('MALFORMED_HEADER', `malformed SFrame header: ${detail}`);
}
