import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_ARGON2, HasherBusyError, OWASP_FLOOR, PasswordHasher, assertParams, passwordPolicy, readParams } from '../../server/auth/passwords.ts';

// Pass-through instrumentation of the real argon2: counts hashes in flight, records the order in
// which they start, and which stored hashes were verified against.
const probe = vi.hoisted(() => ({ inFlight: 0, peak: 0, started: [] as string[], verified: [] as string[] }));
vi.mock('argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('argon2')>();
  return {
    ...real,
    hash: async (password: string, options: Parameters<typeof real.hash>[1]) => {
      probe.inFlight += 1;
      probe.peak = Math.max(probe.peak, probe.inFlight);
      probe.started.push(password);
      try {
        return await real.hash(password, options);
      } finally {
        probe.inFlight -= 1;
      }
    },
    verify: (digest: string, password: string) => {
      probe.verified.push(digest);
      return real.verify(digest, password);
    },
  };
});

function resetProbe(): void {
  probe.inFlight = 0;
  probe.peak = 0;
  probe.started = [];
  probe.verified = [];
}

/** Cheapest parameters the hasher accepts, to keep the tests fast. */
const FAST = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
const PASSWORD = 'correct horse battery staple';

describe('PasswordHasher', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const hasher = new PasswordHasher(FAST);
    const stored = await hasher.hash(PASSWORD);
    expect(stored).toMatch(/^\$argon2id\$v=19\$/);
    expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: false });
    expect(await hasher.verify(stored, 'correct horse battery stapler')).toEqual({ ok: false, needsRehash: false });
  });

  it('hashes with the RFC 9106 defaults m=65536 t=3 p=4, readable back from the stored hash', async () => {
    const stored = await new PasswordHasher().hash(PASSWORD);
    expect(readParams(stored)).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 4 });
    expect(DEFAULT_ARGON2).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 4 });
  });

  it('asks for a rehash when the configured parameters changed since the hash was made', async () => {
    const stored = await new PasswordHasher(FAST).hash(PASSWORD);
    const stronger = new PasswordHasher({ ...FAST, iterations: 3 });
    expect(await stronger.verify(stored, PASSWORD)).toEqual({ ok: true, needsRehash: true });
    expect(await stronger.verify(stored, 'wrong password!')).toEqual({ ok: false, needsRehash: false });
  });

  it('treats canonically equivalent spellings (NFC vs NFD) as the same password', async () => {
    const hasher = new PasswordHasher(FAST);
    const stored = await hasher.hash('caf\u00e9 au lait, please');
    expect((await hasher.verify(stored, 'cafe\u0301 au lait, please')).ok).toBe(true);
  });

  it('verifyDummy always fails, after a real verify against a hash with the configured parameters', async () => {
    const hasher = new PasswordHasher(FAST);
    resetProbe();
    expect(await hasher.verifyDummy(PASSWORD)).toEqual({ ok: false, needsRehash: false });
    expect(await hasher.verifyDummy(PASSWORD)).toEqual({ ok: false, needsRehash: false });
    expect(probe.started).toHaveLength(1); // the dummy hash is made once, then reused
    expect(probe.verified).toHaveLength(2);
    for (const digest of probe.verified) expect(readParams(digest)).toEqual(FAST);
  });

  it('never runs more than maxConcurrent hashes at once', async () => {
    const hasher = new PasswordHasher(FAST, { maxConcurrent: 2 });
    resetProbe();
    const hashes = await Promise.all(Array.from({ length: 6 }, (_, i) => hasher.hash(`${PASSWORD} ${i}`)));
    expect(hashes).toHaveLength(6);
    expect(probe.peak).toBe(2);
  });

  it('serves waiting callers first come, first served', async () => {
    const hasher = new PasswordHasher(FAST, { maxConcurrent: 1 });
    resetProbe();
    const passwords = Array.from({ length: 4 }, (_, i) => `${PASSWORD} ${i}`);
    await Promise.all(passwords.map((password) => hasher.hash(password)));
    expect(probe.started).toEqual(passwords);
  });

  it('refuses with HasherBusyError once the wait queue is full, and recovers afterwards', async () => {
    const hasher = new PasswordHasher(FAST, { maxConcurrent: 1, maxQueued: 2 });
    const accepted = [hasher.hash(PASSWORD), hasher.hash(PASSWORD), hasher.hash(PASSWORD)];
    await expect(hasher.hash(PASSWORD)).rejects.toBeInstanceOf(HasherBusyError);
    await expect(hasher.verify(await accepted[0]!, PASSWORD)).resolves.toMatchObject({ ok: true });
    await Promise.all(accepted);
    await expect(hasher.hash(PASSWORD)).resolves.toMatch(/^\$argon2id\$/);
  });
});

describe('argon2id parameters', () => {
  it('accepts the OWASP floor and the defaults', () => {
    expect(() => assertParams(OWASP_FLOOR)).not.toThrow();
    expect(() => assertParams(DEFAULT_ARGON2)).not.toThrow();
  });

  it.each([
    ['memory under 19 MiB', { ...OWASP_FLOOR, memoryKiB: 19455 }, /memoryKiB must be an integer >= 19456/],
    ['a single iteration', { ...OWASP_FLOOR, iterations: 1 }, /iterations must be an integer >= 2/],
    ['no parallelism', { ...OWASP_FLOOR, parallelism: 0 }, /parallelism must be an integer >= 1/],
  ])('refuses parameters below the OWASP floor: %s', (_, params, message) => {
    expect(() => assertParams(params)).toThrow(message);
    expect(() => new PasswordHasher(params)).toThrow(message);
  });

  it('reads m, t and p from a PHC string in any order', () => {
    const hash = '$argon2id$v=19$t=3,p=4,m=65536$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo';
    expect(readParams(hash)).toEqual({ memoryKiB: 65536, iterations: 3, parallelism: 4 });
  });

  it.each([
    ['argon2i', '$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['an older version', '$argon2id$v=16$m=65536,t=3,p=4$c2FsdA$aGFzaA'],
    ['a missing parameter', '$argon2id$v=19$m=65536,t=3$c2FsdA$aGFzaA'],
    ['no digest', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA'],
  ])('refuses to read params from %s', (_, hash) => {
    expect(() => readParams(hash)).toThrow();
  });
});

describe('password policy (NIST SP 800-63B)', () => {
  it.each([
    [11, 'TOO_SHORT'],
    [12, null],
    [128, null],
    [129, 'TOO_LONG'],
  ])('a password of %i characters: %s', (length, expected) => {
    expect(passwordPolicy('a'.repeat(length))).toBe(expected);
  });

  it('counts an emoji as one character, not two UTF-16 units', () => {
    expect(passwordPolicy(`${'a'.repeat(11)}\u{1F600}`)).toBeNull(); // 12 code points, .length 13
    expect(passwordPolicy(`${'a'.repeat(10)}\u{1F600}`)).toBe('TOO_SHORT'); // 11 code points, .length 12
    expect(passwordPolicy('\u{1F600}'.repeat(128))).toBeNull(); // .length 256
  });

  it('counts after NFC normalisation, so a decomposed accent is one character', () => {
    expect(passwordPolicy(`${'a'.repeat(10)}e\u0301`)).toBe('TOO_SHORT'); // 12 code points as typed, 11 in NFC
  });

  it('has no composition rules: lowercase letters alone are fine', () => {
    expect(passwordPolicy('abcdefghijkl')).toBeNull();
  });

  it('refuses a value that is not a string', () => {
    expect(passwordPolicy(123456789012)).toBe('NOT_STRING');
    expect(passwordPolicy(undefined)).toBe('NOT_STRING');
  });
});
