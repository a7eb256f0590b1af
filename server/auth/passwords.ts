/**
 * Password storage with argon2id (RFC 9106), and the password policy of NIST SP 800-63B:
 * length limits only, no composition rules.
 *
 * Each hash costs tens of MiB of memory, so hashing runs through a bounded semaphore: at most N
 * at once, a bounded FIFO queue behind them, and `HasherBusyError` (BUSY for the caller) beyond that, which
 * keeps memory flat under a login flood instead of crashing the server.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { argon2id, hash as argon2Hash, verify as argon2Verify } from 'argon2';
import { BoundedSemaphore } from './semaphore.ts';

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** RFC 9106 §4, second recommended option (for when 2 GiB per hash is too much). */
export const DEFAULT_ARGON2: Readonly<Argon2Params> = Object.freeze({ memoryKiB: 65536, iterations: 3, parallelism: 4 });

/** OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 iterations. */
export const OWASP_FLOOR: Readonly<Argon2Params> = Object.freeze({ memoryKiB: 19456, iterations: 2, parallelism: 1 });

/** Refuses parameters weaker than the OWASP floor; called when configuration is loaded. */
export function assertParams(params: Argon2Params): void {
  const weak: string[] = [];
  for (const key of ['memoryKiB', 'iterations', 'parallelism'] as const) {
    const value = params[key];
    if (!Number.isInteger(value) || value < OWASP_FLOOR[key]) weak.push(`${key} must be an integer >= ${OWASP_FLOOR[key]}, got ${value}`);
  }
  if (weak.length > 0) throw new Error(`argon2id parameters below the OWASP floor: ${weak.join('; ')}`);
}

/** Reads m/t/p back from a stored hash: `$argon2id$v=19$m=..,t=..,p=..$salt$hash` (any key order). */
export function readParams(phc: string): Argon2Params {
  const [empty, variant, version, list, salt, digest, ...rest] = phc.split('$');
  if (empty !== '' || variant !== 'argon2id' || version !== 'v=19' || !list || !salt || !digest || rest.length > 0) {
    throw new Error('not an argon2id v19 PHC hash string');
  }
  const read = (key: 'm' | 't' | 'p'): number => {
    const match = new RegExp(`(?:^|,)${key}=([1-9]\\d{0,9})(?:,|$)`).exec(list);
    if (!match?.[1]) throw new Error(`argon2id hash has no valid '${key}' parameter`);
    return Number(match[1]);
  };
  return { memoryKiB: read('m'), iterations: read('t'), parallelism: read('p') };
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordPolicyViolation = 'TOO_SHORT' | 'TOO_LONG' | 'NOT_STRING';

/**
 * The same password must hash the same however the keyboard composed it ("é" precomposed or
 * "e" + combining accent), so every password is NFC-normalised before hashing and verifying.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

/** NIST SP 800-63B: 12..128 characters counted as Unicode code points after NFC; null = acceptable. */
export function passwordPolicy(password: unknown): PasswordPolicyViolation | null {
  if (typeof password !== 'string') return 'NOT_STRING';
  const codePoints = [...normalizePassword(password)].length;
  if (codePoints < PASSWORD_MIN_LENGTH) return 'TOO_SHORT';
  if (codePoints > PASSWORD_MAX_LENGTH) return 'TOO_LONG';
  return null;
}

export class HasherBusyError extends Error {
  constructor() {
    super('too many password hashes in progress; try again shortly');
    this.name = 'HasherBusyError';
  }
}

export interface PasswordHasherLimits {
  /** Hashes running at once (default: the number of CPUs). */
  maxConcurrent?: number;
  /** Callers allowed to wait for a slot before HasherBusyError (default 64). */
  maxQueued?: number;
}

/** `needsRehash` is only ever true with `ok`: rehashing needs the correct password. */
export interface PasswordCheck {
  ok: boolean;
  needsRehash: boolean;
}

export class PasswordHasher {
  readonly #params: Argon2Params;
  readonly #slots: BoundedSemaphore;
  #dummyHash: Promise<string> | undefined;

  constructor(params: Argon2Params = DEFAULT_ARGON2, limits: PasswordHasherLimits = {}) {
    assertParams(params);
    this.#params = { ...params };
    const { maxConcurrent = availableParallelism(), maxQueued = 64 } = limits;
    this.#slots = new BoundedSemaphore(maxConcurrent, maxQueued, () => new HasherBusyError());
  }

  hash(password: string): Promise<string> {
    const { memoryKiB, iterations, parallelism } = this.#params;
    const normalized = normalizePassword(password);
    return this.#slots.run(() => argon2Hash(normalized, { type: argon2id, memoryCost: memoryKiB, timeCost: iterations, parallelism }));
  }

  async verify(storedHash: string, password: string): Promise<PasswordCheck> {
    const normalized = normalizePassword(password);
    const ok = await this.#slots.run(() => argon2Verify(storedHash, normalized));
    return { ok, needsRehash: ok && !sameParams(readParams(storedHash), this.#params) };
  }

  /**
   * For a login naming no known account: a full verify against a hash made with the configured
   * parameters, so the response takes as long as for a real account and does not reveal whether
   * the account exists. The dummy hash is made on first use and then kept.
   */
  async verifyDummy(password: string): Promise<{ ok: false; needsRehash: false }> {
    await this.verify(await this.#getDummyHash(), password);
    return { ok: false, needsRehash: false };
  }

  #getDummyHash(): Promise<string> {
    this.#dummyHash ??= this.hash(randomBytes(32).toString('base64url')).catch((error: unknown) => {
      this.#dummyHash = undefined; // e.g. HasherBusyError: try again on the next call
      throw error;
    });
    return this.#dummyHash;
  }
}

function sameParams(a: Argon2Params, b: Argon2Params): boolean {
  return a.memoryKiB === b.memoryKiB && a.iterations === b.iterations && a.parallelism === b.parallelism;
}
