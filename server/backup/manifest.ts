/**
 * The archive's payload (docs/backup.md, "Inside"): a 4-byte big-endian length, the manifest as
 * that many bytes of JSON, then each part's bytes in the manifest's order, back to back.
 */
import { createPrivateKey } from 'node:crypto';

export const MANIFEST_FORMAT = 1;
/** The parts, in the order they are written; a version-1 archive has exactly these. */
export const PARTS = ['recinto.sqlite', 'secret.key', 'audit-signing.key'] as const;
export type PartName = (typeof PARTS)[number];
const MAX_MANIFEST_BYTES = 64 * 1024;
const MAX_KEY_BYTES = 64 * 1024;

export interface Part {
  name: PartName;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: number;
  /** The Recinto version (package.json) that made it. */
  recinto: string;
  /** The database's schema version: the highest migration applied. */
  schemaVersion: number;
  /** ISO 8601, UTC. */
  createdAt: string;
  parts: Part[];
}

export function encodeManifest(manifest: Manifest): Buffer {
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json]);
}

/** The manifest's length as read from the first 4 payload bytes; refuses an absurd one. */
export function manifestLength(prefix: Buffer): number {
  const n = prefix.readUInt32BE(0);
  if (n === 0 || n > MAX_MANIFEST_BYTES) throw new Error(`manifest length ${n} out of range`);
  return n;
}

/** Parses and checks the manifest: the known format, exactly the three parts in order, sane sizes. */
export function parseManifest(json: Buffer): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    throw new Error('manifest is not JSON');
  }
  const m = value as Partial<Manifest>;
  if (typeof m !== 'object' || m === null) throw new Error('manifest is not an object');
  if (m.format !== MANIFEST_FORMAT) throw new Error(`manifest format ${String(m.format)}: this Recinto reads format ${MANIFEST_FORMAT}`);
  if (typeof m.recinto !== 'string' || typeof m.createdAt !== 'string' || !Number.isSafeInteger(m.schemaVersion)) {
    throw new Error('manifest: recinto, createdAt or schemaVersion missing');
  }
  if (!Array.isArray(m.parts) || m.parts.length !== PARTS.length) throw new Error(`manifest: expected the parts ${PARTS.join(', ')}`);
  m.parts.forEach((part: Partial<Part>, i) => {
    if (part.name !== PARTS[i]) throw new Error(`manifest: part ${i + 1} is ${JSON.stringify(part.name)}, expected ${PARTS[i]}`);
    if (!Number.isSafeInteger(part.size) || part.size! < 1) throw new Error(`manifest: ${part.name} has no valid size`);
    if (part.name !== 'recinto.sqlite' && part.size! > MAX_KEY_BYTES) throw new Error(`manifest: ${part.name} is too large for a key`);
    if (typeof part.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(part.sha256)) throw new Error(`manifest: ${part.name} has no SHA-256`);
  });
  return m as Manifest;
}

/** A secret key file's contents as the server accepts them (auth/secret-box.ts): 32 bytes. */
export function checkSecretKey(bytes: Buffer, where: string): void {
  if (bytes.length !== 32) throw new Error(`${where}: ${bytes.length} bytes, a secret key has 32`);
}

/** An audit signing key's contents as the server accepts them (audit/signing-key.ts): an Ed25519 PKCS#8 PEM. */
export function checkSigningKey(bytes: Buffer, where: string): void {
  let type: string | undefined;
  try {
    type = createPrivateKey(bytes).asymmetricKeyType;
  } catch {
    throw new Error(`${where}: not a private key`);
  }
  if (type !== 'ed25519') throw new Error(`${where}: not an Ed25519 private key`);
}
