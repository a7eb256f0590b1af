import { describe, expect, it } from 'vitest';
import { generateTotpSecret, totpAt, totpUri, verifyTotp } from '../../server/auth/totp.ts';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

// RFC 6238 Appendix B: 8-digit codes, seeds of 20, 32 and 64 bytes for SHA-1, SHA-256, SHA-512.
const SEEDS = {
  sha1: ascii('12345678901234567890'),
  sha256: ascii('12345678901234567890123456789012'),
  sha512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};
const VECTORS: Array<[time: number, sha1: string, sha256: string, sha512: string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('RFC 6238 Appendix B test vectors', () => {
  it.each(VECTORS)('T=%i', (time, sha1, sha256, sha512) => {
    expect(totpAt({ secret: SEEDS.sha1, time, digits: 8, algorithm: 'sha1' })).toBe(sha1);
    expect(totpAt({ secret: SEEDS.sha256, time, digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(totpAt({ secret: SEEDS.sha512, time, digits: 8, algorithm: 'sha512' })).toBe(sha512);
  });
});

describe('verifyTotp', () => {
  const secret = generateTotpSecret();
  const PERIOD = 30;
  const now = 1_750_000_005; // 5 s into a step
  const currentStep = Math.floor(now / PERIOD);
  const codeForStep = (step: number): string => totpAt({ secret, time: step * PERIOD });

  it('accepts the current code and returns its step', () => {
    expect(verifyTotp({ secret, code: totpAt({ secret, time: now }), now })).toEqual({ ok: true, step: currentStep });
  });

  it('accepts a code once: the same code again is REPLAYED', () => {
    const code = codeForStep(currentStep);
    const first = verifyTotp({ secret, code, now });
    expect(first).toEqual({ ok: true, step: currentStep });
    const lastUsedStep = first.ok ? first.step : undefined;
    expect(verifyTotp({ secret, code, now: now + 10, lastUsedStep })).toEqual({ ok: false, reason: 'REPLAYED' });
  });

  it('refuses a code from a step at or before the last used one, even within the drift window', () => {
    const previous = codeForStep(currentStep - 1);
    expect(verifyTotp({ secret, code: previous, now, lastUsedStep: currentStep })).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(verifyTotp({ secret, code: previous, now, lastUsedStep: currentStep - 2 })).toEqual({ ok: true, step: currentStep - 1 });
  });

  it('tolerates one step of clock drift either way', () => {
    expect(verifyTotp({ secret, code: codeForStep(currentStep - 1), now })).toEqual({ ok: true, step: currentStep - 1 });
    expect(verifyTotp({ secret, code: codeForStep(currentStep + 1), now })).toEqual({ ok: true, step: currentStep + 1 });
  });

  it('refuses codes two steps away', () => {
    expect(verifyTotp({ secret, code: codeForStep(currentStep - 2), now })).toEqual({ ok: false, reason: 'INVALID' });
    expect(verifyTotp({ secret, code: codeForStep(currentStep + 2), now })).toEqual({ ok: false, reason: 'INVALID' });
  });

  it('refuses a code made with another secret', () => {
    const code = totpAt({ secret: generateTotpSecret(), time: now });
    expect(verifyTotp({ secret, code, now })).toEqual({ ok: false, reason: 'INVALID' });
  });

  it.each(['', '12345', '1234567', '12345a', ' 123456', '123 456', '１２３４５６', '12345\n'])(
    'refuses malformed input %j as INVALID without throwing',
    (code) => {
      expect(verifyTotp({ secret, code, now })).toEqual({ ok: false, reason: 'INVALID' });
    },
  );

  it('uses the clock when no time is given', () => {
    const result = verifyTotp({ secret, code: totpAt({ secret, time: Date.now() / 1000 }) });
    expect(result.ok).toBe(true);
  });
});

describe('generateTotpSecret', () => {
  it('makes 160-bit base32 secrets that differ every time', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateTotpSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 32 symbols x 5 bits = 160 bits
  });
});

describe('totpUri', () => {
  it('spells out every parameter and URL-encodes issuer and account', () => {
    const uri = totpUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'ana maría@example.org', issuer: 'Ayuntamiento & Co' });
    expect(uri).toBe(
      'otpauth://totp/Ayuntamiento%20%26%20Co:ana%20mar%C3%ADa%40example.org' +
        '?secret=JBSWY3DPEHPK3PXP&issuer=Ayuntamiento%20%26%20Co&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('refuses a colon in issuer or account, which would make the label ambiguous', () => {
    expect(() => totpUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'a:b', issuer: 'Recinto' })).toThrow(/":"/);
    expect(() => totpUri({ secret: 'JBSWY3DPEHPK3PXP', account: 'ana', issuer: 'Re:cinto' })).toThrow(/":"/);
  });
});
