/**
 * RFC 9605 SFrame with the AES-GCM cipher suites, on WebCrypto only so that the same code runs in
 * the browser's RTCRtpScriptTransform Worker and in Node tests.
 */
import { asBufferSource, bigEndian, concatBytes, utf8, type Bytes } from './bytes.ts';
import { ReplayWindow, type ReplayVerdict } from './replay-window.ts';
import { SFrameError } from './sframe-error.ts';
import { decodeHeader, encodeHeader } from './sframe-header.ts';

export { decodeHeader, encodeHeader, type SFrameHeader } from './sframe-header.ts';
export { SFrameError, type SFrameErrorCode } from './sframe-error.ts';
export { ReplayWindow, type ReplayVerdict };

export const AES_128_GCM_SHA256_128 = 0x0004;
export const AES_256_GCM_SHA512_128 = 0x0005;
export type CipherSuiteId = typeof AES_128_GCM_SHA256_128 | typeof AES_256_GCM_SHA512_128;

/** RFC 9605 Table 1: hash output (Nh), key (Nk), nonce (Nn) and tag (Nt) sizes in bytes. */
export const CIPHER_SUITES = {
  [AES_128_GCM_SHA256_128]: { hash: 'SHA-256', nh: 32, nk: 16, nn: 12, nt: 16 },
  [AES_256_GCM_SHA512_128]: { hash: 'SHA-512', nh: 64, nk: 32, nn: 12, nt: 16 },
} as const satisfies Record<CipherSuiteId, { hash: string; nh: number; nk: number; nn: number; nt: number }>;

/**
 * RFC 9605 §4.4.1: a base key is used for encryption or for decryption, never both, so that two
 * senders can never produce frames under the same (key, nonce).
 */
export type SFrameKeyUsage = 'encrypt' | 'decrypt';

export type SFrameKey = {
  suite: CipherSuiteId;
  kid: bigint;
  usage: SFrameKeyUsage;
  /** Non-extractable AES-GCM key restricted to `usage`. */
  key: CryptoKey;
  salt: Bytes;
};

/**
 * RFC 9605 §4.4.2 derive_key_salt: sframe_secret = HKDF-Extract("", base_key), then HKDF-Expand
 * with labels "SFrame 1.0 Secret key " / "SFrame 1.0 Secret salt " followed by the KID as 8
 * big-endian bytes and the suite as 2. WebCrypto's HKDF is Extract-then-Expand in one call.
 */
export async function deriveKeyAndSalt(suite: CipherSuiteId, kid: bigint, baseKey: Uint8Array): Promise<{ key: Bytes; salt: Bytes }> {
  const { hash, nk, nn } = CIPHER_SUITES[suite];
  const context = concatBytes(bigEndian(kid, 8), bigEndian(BigInt(suite), 2));
  const ikm = await crypto.subtle.importKey('raw', asBufferSource(baseKey), 'HKDF', false, ['deriveBits']);
  const expand = async (label: string, length: number): Promise<Bytes> => {
    const params = { name: 'HKDF', hash, salt: new Uint8Array(0), info: concatBytes(utf8(label), context) };
    return new Uint8Array(await crypto.subtle.deriveBits(params, ikm, length * 8));
  };
  return { key: await expand('SFrame 1.0 Secret key ', nk), salt: await expand('SFrame 1.0 Secret salt ', nn) };
}

export async function deriveKeyMaterial(suite: CipherSuiteId, kid: bigint, baseKey: Uint8Array, usage: SFrameKeyUsage): Promise<SFrameKey> {
  const { key, salt } = await deriveKeyAndSalt(suite, kid, baseKey);
  const aesKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, [usage]);
  return { suite, kid, usage, key: aesKey, salt };
}

/** nonce = sframe_salt XOR CTR, the CTR written big-endian over the nonce's full length. */
export function frameNonce(salt: Uint8Array, ctr: bigint): Bytes {
  const ctrBytes = bigEndian(ctr, salt.length);
  return ctrBytes.map((byte, i) => byte ^ (salt[i] ?? 0));
}

/**
 * Returns header ‖ ciphertext ‖ tag. The caller owns the CTR and must never repeat one under the
 * same key (RFC 9605 §4.4.1: start at 0, increment after each frame).
 */
export async function encrypt(params: { key: SFrameKey; ctr: bigint; metadata?: Uint8Array; plaintext: Uint8Array }): Promise<Bytes> {
  const { key, ctr, metadata = new Uint8Array(0), plaintext } = params;
  if (key.usage !== 'encrypt') throw new TypeError('SFrame key is not an encryption key');
  const header = encodeHeader(key.kid, ctr);
  const ciphertext = await crypto.subtle.encrypt(aesGcmParams(key, ctr, header, metadata), key.key, asBufferSource(plaintext));
  return concatBytes(header, new Uint8Array(ciphertext));
}

/**
 * Authenticates and decrypts one SFrame ciphertext. Refusals are SFrameErrors: MALFORMED_HEADER,
 * UNKNOWN_KID (the caller may buffer and retry once the key arrives, §4.4.4), AUTH_FAILED, and —
 * when a replay window is given — DUPLICATE (this very frame was accepted before) or REPLAYED
 * (another frame came under this CTR, or the CTR is too old for the window).
 */
export async function decrypt(params: {
  keys: (kid: bigint) => SFrameKey | undefined;
  metadata?: Uint8Array;
  frame: Uint8Array;
  replayWindow?: ReplayWindow;
}): Promise<{ kid: bigint; ctr: bigint; plaintext: Bytes }> {
  const { keys, metadata = new Uint8Array(0), frame, replayWindow } = params;
  const { kid, ctr, length } = decodeHeader(frame);
  const key = keys(kid);
  if (!key) throw new SFrameError('UNKNOWN_KID', `no key for KID ${kid}`);
  if (key.usage !== 'decrypt') throw new TypeError('SFrame key is not a decryption key');
  const header = frame.subarray(0, length);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(aesGcmParams(key, ctr, header, metadata), key.key, asBufferSource(frame.subarray(length)));
  } catch {
    throw new SFrameError('AUTH_FAILED', 'SFrame authentication failed');
  }
  if (replayWindow) {
    // Authenticated: the tag (the ciphertext's last Nt bytes) stands for the whole frame.
    const verdict = replayWindow.accept(kid, ctr, frame.subarray(frame.length - CIPHER_SUITES[key.suite].nt));
    if (verdict === 'duplicate') throw new SFrameError('DUPLICATE', `frame with CTR ${ctr} for KID ${kid} delivered again`);
    if (verdict === 'replayed') throw new SFrameError('REPLAYED', `replayed or too old CTR ${ctr} for KID ${kid}`);
  }
  return { kid, ctr, plaintext: new Uint8Array(plaintext) };
}

/** AAD = header ‖ metadata (§4.4.3), so neither can be altered without failing authentication. */
function aesGcmParams(key: SFrameKey, ctr: bigint, header: Uint8Array, metadata: Uint8Array): AesGcmParams {
  return {
    name: 'AES-GCM',
    iv: frameNonce(key.salt, ctr),
    additionalData: concatBytes(header, metadata),
    tagLength: CIPHER_SUITES[key.suite].nt * 8,
  };
}
