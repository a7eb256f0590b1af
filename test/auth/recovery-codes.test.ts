import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode, normalizeRecoveryCode } from '../../server/auth/recovery-codes.ts';

const LOOK_ALIKES = /[ilou]/;

describe('generateRecoveryCodes', () => {
  it('makes ten xxxx-xxxx-xxxx codes by default, 60 bits each from a 32-symbol alphabet', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/); // 12 x 5 bits
  });

  it('never uses the look-alike letters i, l, o or u', () => {
    const symbols = generateRecoveryCodes(200).join('').replaceAll('-', '');
    expect(symbols).not.toMatch(LOOK_ALIKES);
    expect(new Set(symbols).size).toBe(32); // and does use all 32 symbols
  });

  it('makes distinct codes', () => {
    expect(new Set(generateRecoveryCodes(1000)).size).toBe(1000);
  });
});

describe('normalizeRecoveryCode', () => {
  it('ignores case, spaces and dashes', () => {
    expect(normalizeRecoveryCode(' ABCD efgh-JKMN ')).toBe('abcdefghjkmn');
    expect(normalizeRecoveryCode('abcd-efgh-jkmn')).toBe('abcdefghjkmn');
  });

  it('reads the look-alikes o, i and l as 0 and 1', () => {
    expect(normalizeRecoveryCode('O1IL-0000-1111')).toBe('011100001111');
  });

  it.each(['', 'abcd-efgh-jkm', 'abcd-efgh-jkmnp', 'abcd-efgh-jkm!', 'abcd-efgh-jkmu'])('refuses %j', (input) => {
    expect(normalizeRecoveryCode(input)).toBeNull();
  });
});

describe('hashRecoveryCode', () => {
  it('stores the SHA-256 of the canonical code, never the code', () => {
    const hash = hashRecoveryCode('abcd-efgh-jkmn');
    expect(hash).toBe(createHash('sha256').update('abcdefghjkmn').digest('hex'));
    expect(hashRecoveryCode('ABCD EFGH JKMN')).toBe(hash);
  });

  it('refuses to hash something that is not a recovery code', () => {
    expect(() => hashRecoveryCode('not a code')).toThrow();
  });
});

describe('matchRecoveryCode', () => {
  const codes = generateRecoveryCodes();
  const hashes = codes.map(hashRecoveryCode);

  it('finds the index of the code as typed, however it is spaced or cased', () => {
    codes.forEach((code, index) => {
      expect(matchRecoveryCode(code, hashes)).toBe(index);
      expect(matchRecoveryCode(code.toUpperCase().replaceAll('-', ' '), hashes)).toBe(index);
    });
  });

  it('returns -1 for a wrong code, malformed input or no stored codes', () => {
    const wrong = codes[0]!.replace(/^./, (c) => (c === '2' ? '3' : '2'));
    expect(matchRecoveryCode(wrong, hashes)).toBe(-1);
    expect(matchRecoveryCode('hello', hashes)).toBe(-1);
    expect(matchRecoveryCode(codes[0]!, [])).toBe(-1);
  });
});
