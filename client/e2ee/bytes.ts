/**
 * Byte-string helpers shared by the E2EE modules. Browser- and Worker-safe: no Node imports.
 */

/** Bytes backed by a plain ArrayBuffer: what WebCrypto accepts as a BufferSource. */
export type Bytes = Uint8Array<ArrayBuffer>;

const MAX_U64 = (1n << 64n) - 1n;
const utf8Encoder = new TextEncoder();

/** WebCrypto refuses views over SharedArrayBuffer; copy only in that rare case. */
export function asBufferSource(bytes: Uint8Array): Bytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Bytes) : new Uint8Array(bytes);
}

export function concatBytes(...parts: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function isUint64(value: bigint): boolean {
  return value >= 0n && value <= MAX_U64;
}

/** `value` as exactly `length` big-endian bytes; the caller guarantees it fits. */
export function bigEndian(value: bigint, length: number): Bytes {
  const out = new Uint8Array(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

export function readBigEndian(bytes: Uint8Array, offset: number, length: number): bigint {
  let value = 0n;
  for (let i = offset; i < offset + length; i++) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

/** Length-prefixed (u32 big-endian) so that concatenations of variable fields stay unambiguous. */
export function lengthPrefixed(bytes: Uint8Array): Bytes {
  return concatBytes(bigEndian(BigInt(bytes.length), 4), bytes);
}

export function utf8(text: string): Bytes {
  return utf8Encoder.encode(text);
}

/** Lexicographic byte order, shorter-is-smaller on a common prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

export function randomBytes(length: number): Bytes {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** Standard base64 (the signalling protocol's alphabet for E2EE blobs). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Throws a SyntaxError-like DOMException on anything that is not base64. */
export function fromBase64(text: string): Bytes {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
