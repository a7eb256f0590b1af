/** The coturn configuration and the TURN credentials, as text and values (no coturn needed; coturn.test.ts runs them). */
import { describe, expect, it } from 'vitest';
import { coturnConfig, type CoturnSettings } from '../../server/turn/coturn-config.ts';
import { credentialExpiry, turnCredentials } from '../../server/turn/credentials.ts';
import { ipv4Range, ipv6Range, SPECIAL_IPV4, SPECIAL_IPV6 } from '../../server/turn/special-ranges.ts';

const SETTINGS: CoturnSettings = {
  realm: 'meet.example.org',
  secret: 'shared',
  sfuAddresses: ['192.0.2.10', '2001:db8::10'],
  port: 3478,
  tlsPort: 5349,
  certFile: '/etc/recinto/cert.pem',
  keyFile: '/etc/recinto/key.pem',
  listeningIps: [],
  minPort: 49152,
  maxPort: 65535,
  userQuota: 8,
  totalQuota: 1200,
  maxBps: 0,
};

describe('recinto turn config', () => {
  const conf = coturnConfig(SETTINGS);
  const lines = conf.split('\n');
  const values = (key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

  it('denies every IANA special-purpose range, then everything, and allows only the SFU', () => {
    const denied = values('denied-peer-ip');
    for (const r of SPECIAL_IPV4) expect(denied, r.cidr).toContain(ipv4Range(r.cidr));
    for (const r of SPECIAL_IPV6) expect(denied, r.cidr).toContain(ipv6Range(r.cidr));
    expect(denied).toContain('0.0.0.0-255.255.255.255');
    expect(denied).toContain('0:0:0:0:0:0:0:0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(values('allowed-peer-ip')).toEqual(['192.0.2.10', '2001:db8::10']);
    // The ranges the issue names, by their first-last form.
    expect(denied).toEqual(
      expect.arrayContaining([
        '127.0.0.0-127.255.255.255',
        '10.0.0.0-10.255.255.255',
        '172.16.0.0-172.31.255.255',
        '192.168.0.0-192.168.255.255',
        '169.254.0.0-169.254.255.255',
        '100.64.0.0-100.127.255.255',
        '224.0.0.0-239.255.255.255',
        '0:0:0:0:0:0:0:1-0:0:0:0:0:0:0:1',
        'fc00:0:0:0:0:0:0:0-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
        '0:0:0:0:0:ffff:0:0-0:0:0:0:0:ffff:ffff:ffff',
      ]),
    );
    expect(lines).not.toContain('allow-loopback-peers');
  });

  it('relays UDP only, with ephemeral credentials, quotas, no CLI, TLS with the given certificate', () => {
    for (const flag of ['use-auth-secret', 'no-tcp-relay', 'no-multicast-peers', 'no-cli', 'fingerprint', 'no-software-attribute', 'no-tlsv1', 'no-tlsv1_1'])
      expect(lines, flag).toContain(flag);
    expect(values('static-auth-secret')).toEqual(['shared']);
    expect(values('realm')).toEqual(['meet.example.org']);
    expect(values('user-quota')).toEqual(['8']);
    expect(values('total-quota')).toEqual(['1200']);
    expect(values('tls-listening-port')).toEqual(['5349']);
    expect(values('cert')).toEqual(['/etc/recinto/cert.pem']);
    expect(values('pkey')).toEqual(['/etc/recinto/key.pem']);
    expect(coturnConfig({ ...SETTINGS, certFile: undefined }).split('\n')).toContain('no-tls');
  });

  it('writes only lines coturn reads: comments on their own lines, key or key=value otherwise', () => {
    for (const line of lines) if (line !== '' && !line.startsWith('#')) expect(line).toMatch(/^[a-z0-9_-]+(=[^#\s]+)?$/);
  });

  it('converts ranges exactly, IPv4 and IPv6 (dotted IPv4 tails too)', () => {
    expect(ipv4Range('198.18.0.0/15')).toBe('198.18.0.0-198.19.255.255');
    expect(ipv4Range('0.0.0.0/8')).toBe('0.0.0.0-0.255.255.255');
    expect(ipv6Range('2001::/23')).toBe('2001:0:0:0:0:0:0:0-2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(ipv6Range('::ffff:0.0.0.0/96')).toBe('0:0:0:0:0:ffff:0:0-0:0:0:0:0:ffff:ffff:ffff');
    expect(() => ipv6Range('1::2::3/64')).toThrow();
  });

  it('refuses to write a relay with no SFU to relay to', () => {
    expect(() => coturnConfig({ ...SETTINGS, sfuAddresses: [] })).toThrow(/SFU/);
  });
});

describe('TURN credentials (TURN REST API)', () => {
  it('are `expiry:participant` with base64(HMAC-SHA1(secret, username)), as coturn checks them', () => {
    // The password computed independently: echo -n 1700000000:p-1 | openssl dgst -sha1 -hmac test-shared-secret -binary | base64
    expect(turnCredentials('test-shared-secret', 'p-1', 1_700_000_000_999)).toEqual({
      username: '1700000000:p-1',
      credential: 'XNHBAvtLgUk2q2TLSzzI+7diaWk=',
      expiresAt: 1_700_000_000_000,
    });
  });

  it('expire at the TTL, never after the session ends', () => {
    expect(credentialExpiry(1_000, 3600, 10_000_000)).toBe(3_601_000);
    expect(credentialExpiry(1_000, 3600, 60_000)).toBe(60_000);
  });
});
