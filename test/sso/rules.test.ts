/**
 * The single sign-on rules that need no provider: which ID token algorithms are accepted, when a
 * token asserts multi-factor, the groups it lists, the names an auto-created account gets, and a
 * flow's single use and lifetime (a real SQLite file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/store/db.ts';
import { baseUsername, displayNameOf, uniqueUsername } from '../../server/sso/accounts.ts';
import { idTokenAlgorithms } from '../../server/sso/discovery.ts';
import { FLOW_TTL_MS, FlowStore } from '../../server/sso/flows.ts';
import { assertsMfa, groupsOf } from '../../server/sso/sign-in.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-sso-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rules = {
  groupsClaim: 'groups',
  autoCreate: { groups: [] },
  mfaAcrValues: ['urn:mfa', 'http://schemas.microsoft.com/claims/multipleauthn'],
  mfaAmrValues: ['otp', 'hwk'],
};
const token = (claims: Record<string, unknown>) => ({ iss: 'https://idp.example/', sub: 's', ...claims });

describe('single sign-on rules', () => {
  it('accepts ID tokens signed with the provider’s asymmetric algorithms only, never none or a MAC', () => {
    expect(idTokenAlgorithms(['RS256', 'HS256', 'none', 'ES384', 'PS512', 'EdDSA', 'HS512'])).toEqual(['RS256', 'ES384', 'PS512', 'EdDSA']);
    expect(idTokenAlgorithms(['none'])).toEqual(['RS256']);
    expect(idTokenAlgorithms(['HS256'])).toEqual(['RS256']);
    expect(idTokenAlgorithms(undefined)).toEqual(['RS256']);
  });

  it('skips the local second factor only for the configured acr or amr values', () => {
    expect(assertsMfa(token({ acr: 'urn:mfa' }), rules)).toBe(true);
    expect(assertsMfa(token({ amr: ['pwd', 'hwk'] }), rules)).toBe(true);
    expect(assertsMfa(token({ acr: 'urn:password', amr: ['pwd'] }), rules)).toBe(false);
    expect(assertsMfa(token({}), rules)).toBe(false);
    // Wrong types assert nothing: an amr that is a string, an acr that is a list.
    expect(assertsMfa(token({ amr: 'otp', acr: ['urn:mfa'] }), rules)).toBe(false);
    // Nothing configured: never.
    expect(assertsMfa(token({ acr: 'urn:mfa', amr: ['otp'] }), { ...rules, mfaAcrValues: [], mfaAmrValues: [] })).toBe(false);
  });

  it('reads the groups claim as a list of strings or one string', () => {
    expect(groupsOf(token({ groups: ['a', 2, 'b'] }), 'groups')).toEqual(['a', 'b']);
    expect(groupsOf(token({ roles: 'staff' }), 'roles')).toEqual(['staff']);
    expect(groupsOf(token({ groups: { a: 1 } }), 'groups')).toEqual([]);
  });

  it('makes a valid, unique username and a valid display name from the claims', () => {
    const who = { iss: 'https://idp.example/', sub: 'abc' };
    expect(baseUsername({ ...who, preferred_username: 'José.Núñez@corp.example' })).toBe('jose.nunez');
    expect(baseUsername({ ...who, email: 'M.Ángeles  García@corp.example' })).toBe('m.angeles.garcia');
    expect(baseUsername({ ...who, preferred_username: '__ana__' })).toBe('ana');
    expect(baseUsername({ ...who, preferred_username: '__ab__' })).toMatch(/^sso-[0-9a-f]{10}$/);
    expect(baseUsername({ ...who, preferred_username: '李' })).toMatch(/^sso-[0-9a-f]{10}$/);
    expect(baseUsername({ ...who, preferred_username: 'x'.repeat(200) })).toBe('x'.repeat(60));
    expect(uniqueUsername('ana', (n) => ['ana', 'ana-2'].includes(n))).toBe('ana-3');
    expect(displayNameOf('  Ana\u202E  Pérez\u0000 ', 'ana')).toBe('Ana Pérez');
    expect(displayNameOf(undefined, 'ana')).toBe('ana');
    expect(displayNameOf('\u200B', 'ana')).toBe('ana');
    expect([...displayNameOf('ñ'.repeat(100), 'ana')]).toHaveLength(64);
  });

  it('takes a flow once, refuses it after ten minutes, and sweeps old ones', () => {
    const db = openDatabase(join(dir, 'flows'));
    try {
      const flows = new FlowStore(db);
      const flow = { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/account' };
      const id = flows.create(flow);
      expect(flows.take(id)).toMatchObject({ flow });
      expect(flows.take(id)).toEqual({ none: 'replayed' });
      expect(flows.take('someone-else')).toEqual({ none: 'unknown' });
      expect(flows.take(undefined)).toEqual({ none: 'no-cookie' });
      const old = flows.create(flow, Date.now() - FLOW_TTL_MS - 1);
      expect(flows.take(old)).toEqual({ none: 'expired' });
      expect(flows.sweep()).toBe(1);
      expect(flows.take(id)).toEqual({ none: 'replayed' });
      expect(flows.sweep(Date.now() + FLOW_TTL_MS + 1)).toBe(1);
      expect(flows.take(id)).toEqual({ none: 'unknown' });
    } finally {
      db.close();
    }
  });
});
