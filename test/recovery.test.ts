/**
 * A server killed with SIGKILL and started again on the same data: everyone comes back with the
 * place they had — the host hosts, the admitted come straight in (past the waiting room and the
 * lock), a co-host is a co-host again, the lock still holds for newcomers, a ban still holds —
 * because running meetings' memory is kept in SQLite (server/meetings/memory-store.ts) and
 * sessions, meetings and bans are stored. A real server process, real sockets, a real worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpAndTcpPort } from './helpers/coturn.ts';
import type { HttpClient } from './helpers/http-client.ts';
import { killServerProcess, seedDataDir, serverEnv, startServerProcess } from './helpers/server-process.ts';
import { TestClient } from './helpers/ws-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-recovery-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = await startServerProcess(env);
  children.push(child);
  return child;
}

describe('a server killed and started again', () => {
  it('gives everyone their place back: host, admitted, co-host, lock and ban hold', async () => {
    const port = await freeUdpAndTcpPort();
    const env = serverEnv(dir, port);
    const url = `https://127.0.0.1:${port}`;
    // Accounts, sessions and a meeting with a waiting room, as the server would store them.
    const seeded = seedDataDir(env, url, ['hana', 'ivo', 'cora', 'dan', 'eve'], { waitingRoom: true });
    const [hana, ivo, cora, dan, eve] = seeded.people as [HttpClient, HttpClient, HttpClient, HttpClient, HttpClient];
    const meetingId = seeded.meetingId;

    let server = await startServer(env);
    const host = await TestClient.connect(hana);
    expect((await host.join(meetingId)).status).toBe('joined');
    const admitted = async (http: HttpClient) => {
      const client = await TestClient.connect(http);
      const waiting = await client.join(meetingId);
      if (waiting.status !== 'waiting') throw new Error('should wait');
      await host.request('admit', { waitingId: waiting.waitingId });
      const { meeting } = (await client.waitForNotification('admitted')) as { meeting: { self: { id: string } } };
      return { client, id: meeting.self.id };
    };
    const i = await admitted(ivo);
    const c = await admitted(cora);
    const e = await admitted(eve);
    await host.request('setRole', { participantId: c.id, role: 'cohost' });
    await host.request('remove', { participantId: e.id, ban: true });
    await host.request('setLocked', { locked: true });
    // Snapshots are written each second.
    await new Promise((r) => setTimeout(r, 1500));

    await killServerProcess(server);
    const restarted = Date.now();
    server = await startServer(env);

    const back = async (http: HttpClient) => {
      const client = await TestClient.connect(http);
      return { client, joined: await client.join(meetingId) };
    };
    // The admitted come back first: before the host, straight in, past the waiting room and the lock.
    const ivoBack = await back(ivo);
    expect(ivoBack.joined.status).toBe('joined');
    const coraBack = await back(cora);
    expect(coraBack.joined).toMatchObject({ status: 'joined', meeting: { self: { role: 'cohost' } } });
    const hostBack = await back(hana);
    expect(hostBack.joined).toMatchObject({ status: 'joined', meeting: { self: { role: 'host' }, locked: true } });
    expect(Date.now() - restarted).toBeLessThan(10_000);
    // Newcomers still meet the lock; the banned are still banned.
    const newcomer = await TestClient.connect(dan);
    expect((await newcomer.send('join', { meetingId, e2ee: true })).error?.code).toBe('MEETING_LOCKED');
    const banned = await TestClient.connect(eve);
    expect((await banned.send('join', { meetingId, e2ee: true })).error?.code).toBe('BANNED');
    // Coming back is once: leaving and returning later means the waiting room (and the lock) again.
    await ivoBack.client.request('leave', {});
    expect((await ivoBack.client.send('join', { meetingId, e2ee: true })).error?.code).toBe('MEETING_LOCKED');

    for (const t of [host, i.client, c.client, e.client, ivoBack.client, coraBack.client, hostBack.client, newcomer, banned]) await t.close().catch(() => {});
    server.kill('SIGTERM');
  }, 60_000);
});
