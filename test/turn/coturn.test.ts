/**
 * A real coturn (Debian's `coturn`, installed by .ci/run) run with the configuration
 * `recinto turn config` prints: Recinto's ephemeral credentials open an allocation, expired and
 * forged ones do not, and the relay refuses every inside address as a peer (ASVS 5.0 V17.1.1) —
 * loopback, private, link-local and the cloud metadata address, CGNAT, IPv6 loopback and ULA,
 * and IPv4-mapped IPv6 (CVE-2026-27624) — while the SFU's own address is allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coturnConfig } from '../../server/turn/coturn-config.ts';
import { turnCredentials } from '../../server/turn/credentials.ts';
import { freeUdpAndTcpPort, relayPorts, startCoturn, type Coturn } from '../helpers/coturn.ts';
import { TurnClient } from '../helpers/turn-client.ts';

const SECRET = 'test-shared-secret-0123456789';
/** Stands for the SFU: on loopback here, and the one peer the relay may reach. */
const SFU = '127.0.0.2';

describe('TURN with coturn, configured by recinto turn config', () => {
  let coturn: Coturn;
  let port: number;

  beforeAll(async () => {
    port = await freeUdpAndTcpPort();
    const conf = coturnConfig({
      realm: 'recinto.test',
      secret: SECRET,
      sfuAddresses: [SFU],
      port,
      tlsPort: port + 1,
      listeningIps: ['127.0.0.1', '::1'],
      ...relayPorts(),
      userQuota: 4,
      totalQuota: 50,
      maxBps: 0,
    });
    coturn = await startCoturn(conf, port);
  }, 30_000);

  afterAll(() => coturn?.stop());

  const fresh = (participantId = 'p-1', ttlMs = 60_000) => turnCredentials(SECRET, participantId, Date.now() + ttlMs);

  async function allocated(family: 'ipv4' | 'ipv6' = 'ipv4', address = family === 'ipv4' ? '127.0.0.1' : '::1'): Promise<TurnClient> {
    const client = await TurnClient.open(address, port);
    const { username, credential } = fresh(`p-${family}-${Math.random().toString(36).slice(2)}`);
    expect(await client.allocate(username, credential, family)).toEqual({ ok: true });
    return client;
  }

  it("opens an allocation with Recinto's ephemeral credentials, and not with expired or forged ones", async () => {
    const client = await allocated();
    client.close();

    const expired = turnCredentials(SECRET, 'p-late', Date.now() - 5_000);
    const late = await TurnClient.open('127.0.0.1', port);
    expect(await late.allocate(expired.username, expired.credential)).toMatchObject({ ok: false, code: 401 });
    late.close();

    const forged = turnCredentials('another-secret', 'p-forged', Date.now() + 60_000);
    const wrong = await TurnClient.open('127.0.0.1', port);
    expect(await wrong.allocate(forged.username, forged.credential)).toMatchObject({ ok: false, code: 401 });
    wrong.close();
  });

  it('relays to the SFU only: every inside IPv4 address is refused as a peer', async () => {
    const client = await allocated('ipv4');
    try {
      // The SFU's own address is allowed (else the refusals below would prove nothing).
      expect(await client.createPermission(SFU)).toEqual({ ok: true });
      for (const peer of [
        '127.0.0.1',
        '10.0.0.1',
        '172.16.0.1',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
        '0.0.0.0',
        '224.0.0.1',
        '198.51.100.7',
        '8.8.8.8',
      ]) {
        expect(await client.createPermission(peer), peer).toMatchObject({ ok: false, code: 403 });
      }
    } finally {
      client.close();
    }
  });

  it('refuses IPv6 loopback, unique-local and IPv4-mapped peers (CVE-2026-27624)', async () => {
    const client = await allocated('ipv6');
    try {
      for (const peer of ['::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:127.0.0.2', '::ffff:169.254.169.254', '2001:db8::1']) {
        expect(await client.createPermission(peer), peer).toMatchObject({ ok: false, code: 403 });
      }
    } finally {
      client.close();
    }
    // An IPv4 allocation refuses a mapped peer too (wrong family, or refused).
    const v4 = await allocated('ipv4');
    try {
      const answer = await v4.createPermission('::ffff:127.0.0.1');
      expect(answer.ok, JSON.stringify(answer)).toBe(false);
    } finally {
      v4.close();
    }
  });
});
