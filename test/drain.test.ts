/**
 * SIGTERM drains (what `server/main.ts` does before closing): everyone inside and waiting is told
 * how long the meeting has; new joins are refused with SERVER_DRAINING (into running meetings
 * too) and /readyz answers 503, so a load balancer stops sending people; the drain ends as soon as
 * the meetings have emptied, or at the grace period, when what is left is ended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpAndTcpPort } from './helpers/coturn.ts';
import { killServerProcess, seedDataDir, serverEnv, startServerProcess } from './helpers/server-process.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from './helpers/server.ts';
import { TestClient } from './helpers/ws-client.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function meetingWithPeople(drainSeconds: number) {
  server = await startTestServer({ server: { drainSeconds } }, { signIn: ['hana', 'ivo', 'jon'] });
  const owner = server.recinto.auth.accounts.byUsername('hana')!.id;
  const open = server.createMeeting('Abierta', { ownerId: owner, policy: OPEN_POLICY });
  const lobby = server.createMeeting('Con sala de espera', { ownerId: owner });
  const hana = await TestClient.connect(server.http['hana']!);
  const ivo = await TestClient.connect(server.http['ivo']!);
  expect((await hana.join(open)).status).toBe('joined');
  // Ivo waits for a host in the other meeting (its host is not there).
  expect((await ivo.join(lobby)).status).toBe('waiting');
  return { server, open, lobby, hana, ivo };
}

describe('draining on SIGTERM', () => {
  it('tells everyone, refuses new joins and readiness, and ends as soon as the meetings are empty', async () => {
    const { server, open, hana, ivo } = await meetingWithPeople(30);
    const started = Date.now();
    const drained = server.recinto.drain();
    expect(await hana.waitForNotification('serverDraining')).toEqual({ graceSeconds: 30 });
    expect(await ivo.waitForNotification('serverDraining')).toEqual({ graceSeconds: 30 });

    const jon = await TestClient.connect(server.http['jon']!);
    const refused = await jon.send('join', { meetingId: open, e2ee: true });
    expect(refused.error?.code).toBe('SERVER_DRAINING');
    const ready = await server.http['jon']!.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, draining: true });

    // The meetings go on meanwhile; once everyone has left, the drain is over.
    await hana.request('leave', {});
    await ivo.request('leave', {});
    await drained;
    expect(Date.now() - started).toBeLessThan(5_000);
    await Promise.all([hana.close(), ivo.close(), jon.close()]);
  });

  it('ends at the grace period when people stay', async () => {
    const { server, hana, ivo } = await meetingWithPeople(1);
    const started = Date.now();
    await server.recinto.drain();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3_000);
    // Still inside until the server closes: then they are told to reconnect.
    expect(server.recinto.meetings.running).toBe(2);
    await server.close();
    expect((await hana.waitForNotification('reconnect')).reason).toBe('server-shutdown');
    await Promise.all([hana.close(), ivo.close()]);
  });

  it('is what a real SIGTERM does: the media go on (mediasoup does not close its workers on the signal)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recinto-drain-'));
    const port = await freeUdpAndTcpPort();
    const env = serverEnv(dir, port);
    const { people, meetingId } = seedDataDir(env, `https://127.0.0.1:${port}`, ['hana'], OPEN_POLICY);
    const child = await startServerProcess(env);
    try {
      const hana = await TestClient.connect(people[0]!);
      expect((await hana.join(meetingId)).status).toBe('joined');
      child.kill('SIGTERM');
      expect(await hana.waitForNotification('serverDraining')).toEqual({ graceSeconds: 20 });
      // Still inside, with a worker: no `reconnect` for a dead worker, readiness says draining.
      await new Promise((r) => setTimeout(r, 500));
      expect(hana.notifications.map((n) => n.notification)).not.toContain('reconnect');
      expect((await people[0]!.get('/readyz')).body).toMatchObject({ ready: false, draining: true, workers: { alive: 1 } });
      await hana.close();
    } finally {
      await killServerProcess(child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
