/**
 * TURN at join: with `turn.enabled`, each createTransport answer carries ICE servers whose
 * ephemeral credentials name the participant, end with the session at the latest, and open an
 * allocation on a real coturn configured by `recinto turn config`'s settings (same secret, derived
 * from the server's key); the relay then reaches the SFU and nothing inside. Without TURN, none.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coturnConfig } from '../../server/turn/coturn-config.ts';
import { coturnSettings } from '../../server/turn/service.ts';
import { freeUdpAndTcpPort, relayPorts, startCoturn, type Coturn } from '../helpers/coturn.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { TurnClient } from '../helpers/turn-client.ts';
import { TestClient } from '../helpers/ws-client.ts';

describe('TURN credentials at join', () => {
  let server: TestServer;
  let plain: TestServer;
  let coturn: Coturn;
  let turnPort: number;

  beforeAll(async () => {
    turnPort = await freeUdpAndTcpPort();
    server = await startTestServer(
      {
        turn: { enabled: true, host: '127.0.0.1', port: turnPort, tlsPort: turnPort + 1, credentialTtlSeconds: 86400, ...relayPorts() },
        auth: { sessionAbsoluteHours: 1 },
      },
      { signIn: ['tomas'] },
    );
    plain = await startTestServer({}, { signIn: ['tomas'] });
    const settings = coturnSettings(server.config, server.recinto.secretKey);
    coturn = await startCoturn(coturnConfig({ ...settings, listeningIps: ['127.0.0.1'] }), turnPort);
  }, 60_000);

  afterAll(async () => {
    coturn?.stop();
    await server?.close();
    await plain?.close();
  });

  it('hands each participant TURN over UDP, TCP and TLS with credentials bound to them and their session', async () => {
    const client = await TestClient.connect(server.http['tomas']!);
    try {
      const meetingId = server.createMeeting('TURN', { ownerId: server.recinto.auth.accounts.byUsername('tomas')!.id, policy: OPEN_POLICY });
      const joined = await client.join(meetingId);
      if (joined.status !== 'joined') throw new Error('Tomás should be inside');
      const selfId = joined.meeting.self.id;
      const before = Date.now();
      const transport = await client.request('createTransport', { direction: 'send' });
      expect(transport.iceServers).toHaveLength(1);
      const ice = transport.iceServers![0]!;
      expect(ice.urls).toEqual([
        `turn:127.0.0.1:${turnPort}?transport=udp`,
        `turn:127.0.0.1:${turnPort}?transport=tcp`,
        `turns:127.0.0.1:${turnPort + 1}?transport=tcp`,
      ]);
      const [expiry, participant] = ice.username.split(':');
      expect(participant).toBe(selfId);
      // A one-day lifetime asked for, but the session ends within the hour: the session wins.
      const expiresAt = Number(expiry) * 1000;
      expect(expiresAt).toBeGreaterThan(before);
      expect(expiresAt).toBeLessThanOrEqual(before + 3600_000);

      // coturn, configured from the same configuration, takes them; the relay reaches the SFU only.
      const turn = await TurnClient.open('127.0.0.1', turnPort);
      try {
        expect(await turn.allocate(ice.username, ice.credential)).toEqual({ ok: true });
        expect(await turn.createPermission('127.0.0.1')).toEqual({ ok: true });
        expect(await turn.createPermission('10.0.0.1')).toMatchObject({ ok: false, code: 403 });
        expect(await turn.createPermission('169.254.169.254')).toMatchObject({ ok: false, code: 403 });
      } finally {
        turn.close();
      }
      // Someone else's name on these credentials does not open anything.
      const other = await TurnClient.open('127.0.0.1', turnPort);
      try {
        expect(await other.allocate(`${expiry}:someone-else`, ice.credential)).toMatchObject({ ok: false, code: 401 });
      } finally {
        other.close();
      }
    } finally {
      await client.close();
    }
  });

  it("restarts ICE with new credentials for the caller's own transport only (a changed network)", async () => {
    const ana = await TestClient.connect(server.http['tomas']!);
    try {
      const meetingId = server.createMeeting('ICE', { ownerId: server.recinto.auth.accounts.byUsername('tomas')!.id, policy: OPEN_POLICY });
      expect((await ana.join(meetingId)).status).toBe('joined');
      const transport = await ana.request('createTransport', { direction: 'send' });
      const before = transport.iceParameters as { usernameFragment: string; password: string };
      const { iceParameters } = await ana.request('restartIce', { transportId: transport.id });
      const after = iceParameters as { usernameFragment: string; password: string };
      expect(after.usernameFragment).toMatch(/\S{4,}/);
      expect(after.usernameFragment).not.toBe(before.usernameFragment);
      expect(after.password).not.toBe(before.password);
      // Only one's own transports: any other id is not found.
      expect((await ana.send('restartIce', { transportId: randomUUID() })).error?.code).toBe('NOT_FOUND');
    } finally {
      await ana.close();
    }
  });

  it('hands out nothing when TURN is not configured', async () => {
    const client = await TestClient.connect(plain.http['tomas']!);
    try {
      const meetingId = plain.createMeeting('Sin TURN', { ownerId: plain.recinto.auth.accounts.byUsername('tomas')!.id, policy: OPEN_POLICY });
      expect((await client.join(meetingId)).status).toBe('joined');
      expect(await client.request('createTransport', { direction: 'recv' })).not.toHaveProperty('iceServers');
    } finally {
      await client.close();
    }
  });
});
