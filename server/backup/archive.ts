/**
 * The backup archive's container (docs/backup.md, "The format"): an 82-byte header (magic,
 * version, Argon2id parameters, salt, chunk size, nonce prefix, and an HMAC that tells a wrong
 * passphrase from a damaged file), then the payload as AES-256-GCM chunks, each authenticated
 * before a byte of it is used. A chunk's nonce is the prefix and its index; its associated data
 * is the header and whether it is the last chunk, so chunks cannot be reordered, dropped, moved
 * to another archive, or cut off at a chunk boundary without the next read failing.
 *
 * Memory: one chunk (1 MiB by default) at a time, whatever the size of the payload.
 */
import argon2 from 'argon2';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export const MAGIC = Buffer.from('RECINTOB', 'ascii');
export const FORMAT_VERSION = 1;
/** Argon2id, version 0x13 (RFC 9106), the only key derivation of format version 1. */
export const KDF_ARGON2ID = 1;

export interface KdfParams {
  /** m, in KiB. */
  memoryKiB: number;
  /** t, passes over the memory. */
  iterations: number;
  /** p, lanes. */
  parallelism: number;
}

/** 256 MiB, 3 passes, 4 lanes: about 0.65 s on a 2-core Xeon; an archive is decrypted rarely and attacked offline. */
export const DEFAULT_KDF: Readonly<KdfParams> = { memoryKiB: 262_144, iterations: 3, parallelism: 4 };
/** What a reader accepts from a header: enough room for stronger settings, not for a memory or time bomb. */
export const KDF_LIMITS = { memoryKiB: [8_192, 4_194_304], iterations: [1, 32], parallelism: [1, 64] } as const;
export const DEFAULT_CHUNK_BYTES = 1 << 20;
export const CHUNK_LIMITS = [1024, 1 << 26] as const;
export const HEADER_BYTES = 82;
const CHECKED_BYTES = 50; // the header before its HMAC
const SALT_BYTES = 16;
const NONCE_PREFIX_BYTES = 8;
const TAG_BYTES = 16;
const MAX_CHUNKS = 2 ** 32;

/** Anything that stops a backup or a restore (a wrong passphrase, a damaged archive, a file in the way); the message is for the person running it. */
export class BackupError extends Error {}

export interface Header {
  kdf: KdfParams;
  salt: Buffer;
  chunkBytes: number;
  noncePrefix: Buffer;
}

interface Keys {
  encryption: Buffer;
  headerMac: Buffer;
}

/** The passphrase as the key derivation sees it: NFC, UTF-8 (so a typed "é" and a pasted one agree). */
export function passphraseBytes(passphrase: string): Buffer {
  return Buffer.from(passphrase.normalize('NFC'), 'utf8');
}

/** Argon2id → 64 bytes: the AES-256 key, then the header's HMAC-SHA-256 key. */
export async function deriveKeys(passphrase: string, salt: Buffer, kdf: KdfParams): Promise<Keys> {
  const out = await argon2.hash(passphraseBytes(passphrase), {
    type: argon2.argon2id,
    version: 0x13,
    raw: true,
    salt,
    memoryCost: kdf.memoryKiB,
    timeCost: kdf.iterations,
    parallelism: kdf.parallelism,
    hashLength: 64,
  });
  return { encryption: out.subarray(0, 32), headerMac: out.subarray(32, 64) };
}

/** The 82 header bytes: the 50 described, then HMAC-SHA-256(header key, those 50). */
export function encodeHeader(header: Header, headerMac: Buffer): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt8(FORMAT_VERSION, 8);
  bytes.writeUInt8(KDF_ARGON2ID, 9);
  bytes.writeUInt32BE(header.kdf.memoryKiB, 10);
  bytes.writeUInt32BE(header.kdf.iterations, 14);
  bytes.writeUInt32BE(header.kdf.parallelism, 18);
  header.salt.copy(bytes, 22);
  bytes.writeUInt32BE(header.chunkBytes, 38);
  header.noncePrefix.copy(bytes, 42);
  createHmac('sha256', headerMac).update(bytes.subarray(0, CHECKED_BYTES)).digest().copy(bytes, CHECKED_BYTES);
  return bytes;
}

/** Reads the header's fields (not yet its HMAC, which needs the passphrase); refuses what is not a version-1 archive. */
export function parseHeader(bytes: Buffer): Header {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) throw new BackupError('not a Recinto backup (no RECINTOB header)');
  const version = bytes.readUInt8(8);
  if (version !== FORMAT_VERSION)
    throw new BackupError(`backup format version ${version}: this Recinto reads version ${FORMAT_VERSION} (a newer Recinto made it?)`);
  const kdfId = bytes.readUInt8(9);
  if (kdfId !== KDF_ARGON2ID) throw new BackupError(`unknown key derivation ${kdfId} in the header (damaged?)`);
  const kdf = { memoryKiB: bytes.readUInt32BE(10), iterations: bytes.readUInt32BE(14), parallelism: bytes.readUInt32BE(18) };
  for (const [name, [min, max]] of Object.entries(KDF_LIMITS) as [keyof KdfParams, readonly [number, number]][]) {
    if (kdf[name] < min || kdf[name] > max) throw new BackupError(`header: Argon2id ${name} ${kdf[name]} outside ${min}–${max} (damaged?)`);
  }
  if (kdf.memoryKiB < 8 * kdf.parallelism) throw new BackupError('header: Argon2id memory below 8 KiB per lane (damaged?)');
  const chunkBytes = bytes.readUInt32BE(38);
  if (chunkBytes < CHUNK_LIMITS[0] || chunkBytes > CHUNK_LIMITS[1])
    throw new BackupError(`header: chunk size ${chunkBytes} outside ${CHUNK_LIMITS.join('–')} (damaged?)`);
  return { kdf, salt: Buffer.from(bytes.subarray(22, 38)), chunkBytes, noncePrefix: Buffer.from(bytes.subarray(42, 50)) };
}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  return n;
}

const aad = (header: Buffer, last: boolean) => Buffer.concat([header, Buffer.from([last ? 1 : 0])]);

export interface WriterOptions {
  kdf?: KdfParams;
  /** Plaintext bytes per chunk (the CLI always uses DEFAULT_CHUNK_BYTES; tests use small ones to cross boundaries). */
  chunkBytes?: number;
}

/** Writes an archive to an open file descriptor: `write` the payload in any pieces, then `finish`. */
export class ArchiveWriter {
  readonly #fd: number;
  readonly #header: Buffer;
  readonly #noncePrefix: Buffer;
  readonly #key: Buffer;
  readonly #chunk: Buffer;
  readonly #digest: Hash = createHash('sha256');
  #filled = 0;
  #index = 0;
  #bytes = 0;

  private constructor(fd: number, header: Buffer, noncePrefix: Buffer, key: Buffer, chunkBytes: number) {
    this.#fd = fd;
    this.#header = header;
    this.#noncePrefix = noncePrefix;
    this.#key = key;
    this.#chunk = Buffer.alloc(chunkBytes);
    this.#out(header);
  }

  static async create(fd: number, passphrase: string, options: WriterOptions = {}): Promise<ArchiveWriter> {
    const header: Header = {
      kdf: { ...(options.kdf ?? DEFAULT_KDF) },
      salt: randomBytes(SALT_BYTES),
      chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      noncePrefix: randomBytes(NONCE_PREFIX_BYTES),
    };
    const keys = await deriveKeys(passphrase, header.salt, header.kdf);
    // Round-trip through the parser: a writer never makes a header its own reader would refuse.
    const bytes = encodeHeader(header, keys.headerMac);
    parseHeader(bytes);
    return new ArchiveWriter(fd, bytes, header.noncePrefix, keys.encryption, header.chunkBytes);
  }

  /** A chunk is sealed once it is full and more follows: the last one must carry the "last" flag. */
  write(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.#filled === this.#chunk.length) {
        this.#seal(false);
      }
      const n = data.copy(this.#chunk, this.#filled, at);
      this.#filled += n;
      at += n;
    }
  }

  /** Seals the last chunk; returns the archive's size and SHA-256 (of every byte written, header included). */
  finish(): { bytes: number; sha256: string } {
    this.#seal(true);
    return { bytes: this.#bytes, sha256: this.#digest.digest('hex') };
  }

  #seal(last: boolean): void {
    if (this.#index >= MAX_CHUNKS) throw new BackupError('payload too large for one archive');
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce(this.#noncePrefix, this.#index), { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.#header, last));
    this.#out(cipher.update(this.#chunk.subarray(0, this.#filled)));
    this.#out(cipher.final());
    this.#out(cipher.getAuthTag());
    this.#index += 1;
    this.#filled = 0;
  }

  #out(bytes: Buffer): void {
    this.#digest.update(bytes);
    this.#bytes += bytes.length;
    for (let at = 0; at < bytes.length;) at += writeSync(this.#fd, bytes, at);
  }
}

/**
 * Reads an archive: `open` checks the passphrase against the header; `chunks()` yields each
 * chunk's plaintext only after it has been authenticated, and throws at the first that is not.
 */
export class ArchiveReader {
  readonly header: Header;
  /** The SHA-256 of the whole file, complete once `chunks()` has run to the end. */
  readonly #digest: Hash = createHash('sha256');
  readonly #fd: number;
  readonly #size: number;
  readonly #headerBytes: Buffer;
  readonly #key: Buffer;

  private constructor(fd: number, size: number, headerBytes: Buffer, header: Header, key: Buffer) {
    this.#fd = fd;
    this.#size = size;
    this.#headerBytes = headerBytes;
    this.header = header;
    this.#key = key;
    this.#digest.update(headerBytes);
  }

  static async open(file: string, passphrase: string): Promise<ArchiveReader> {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const headerBytes = Buffer.alloc(HEADER_BYTES);
      const got = readSync(fd, headerBytes, 0, HEADER_BYTES, 0);
      if (got < HEADER_BYTES) {
        if (got >= 8 && headerBytes.subarray(0, 8).equals(MAGIC)) throw new BackupError(`truncated: ${size} bytes, shorter than the header`);
        throw new BackupError('not a Recinto backup (no RECINTOB header)');
      }
      const header = parseHeader(headerBytes);
      const keys = await deriveKeys(passphrase, header.salt, header.kdf);
      const expected = createHmac('sha256', keys.headerMac).update(headerBytes.subarray(0, CHECKED_BYTES)).digest();
      if (!timingSafeEqual(expected, headerBytes.subarray(CHECKED_BYTES))) {
        throw new BackupError('wrong passphrase (or the archive header was altered)');
      }
      return new ArchiveReader(fd, size, headerBytes, header, keys.encryption);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Every chunk is chunkBytes + 16 bytes on disk but the last, which ends the file with 1 to chunkBytes + 16 of its own. */
  *chunks(): Generator<Buffer> {
    const stride = this.header.chunkBytes + TAG_BYTES;
    const body = this.#size - HEADER_BYTES;
    const rest = body % stride;
    if (body === 0 || (rest > 0 && rest <= TAG_BYTES)) throw new BackupError(`truncated: the last chunk is cut off (file of ${this.#size} bytes)`);
    const count = Math.floor(body / stride) + (rest > 0 ? 1 : 0);
    const buffer = Buffer.alloc(stride);
    for (let index = 0; index < count; index++) {
      const last = index === count - 1;
      const offset = HEADER_BYTES + index * stride;
      const length = last ? this.#size - offset : stride;
      let got = 0;
      while (got < length) {
        const n = readSync(this.#fd, buffer, got, length - got, offset + got);
        if (n === 0) throw new BackupError('the file changed while it was read');
        got += n;
      }
      const sealed = buffer.subarray(0, length);
      this.#digest.update(sealed);
      const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce(this.header.noncePrefix, index), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(this.#headerBytes, last));
      decipher.setAuthTag(sealed.subarray(length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(sealed.subarray(0, length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new BackupError(`damaged, truncated or altered: chunk ${index + 1} of ${count} (bytes ${offset}–${offset + length - 1}) fails authentication`);
      }
      yield plain;
    }
  }

  /** The SHA-256 of the file as read (hex); call after `chunks()` is done. */
  sha256(): string {
    return this.#digest.digest('hex');
  }

  close(): void {
    closeSync(this.#fd);
  }
}
