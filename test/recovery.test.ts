/**
 * A server killed with SIGKILL and started again on the same data: everyone comes back with the
 * place they had — the host hosts, the admitted come straight in (past the waiting room and the
 * lock), a co-host is a co-host again, the lock still holds for newcomers, a ban still holds —
 * because running meetings' memory is kept in SQLite (server/meetings/memory-store.ts) and
 * sessions, meetings and bans are stored. A real server process, real sockets, a real worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../server/auth/accounts.ts';
import { loadOrCreateKey } from '../server/auth/secret-box.ts';
import { SessionStore } from '../server/auth/sessions.ts';
import { loadConfig } from '../server/config/load.ts';
import { MeetingStore } from '../server/meetings/store.ts';
import { openDatabase } from '../server/store/db.ts';
import { freeUdpAndTcpPort } from './helpers/coturn.ts';
import { HttpClient } from './helpers/http-client.ts';
import { TestClient } from './helpers/ws-client.ts';
import { waitFor } from './helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'recinto-recovery-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function serverEnv(port: number): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RECINTO_')));
  return {
    ...clean,
    RECINTO_HOST: '127.0.0.1',
    RECINTO_PORT: String(port),
    RECINTO_DATA_DIR: join(dir, 'data'),
    RECINTO_TLS_CERT: join(dir, 'cert.pem'),
    RECINTO_TLS_KEY: join(dir, 'key.pem'),
    RECINTO_MEDIA_WORKERS: '1',
    RECINTO_LISTEN_IP: '127.0.0.1',
    RECINTO_RTC_PORT: '0',
    RECINTO_LOG_LEVEL: 'warn',
  };
}

/** Starts `node server/main.ts` and resolves once it listens. */
async function startServer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['server/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.resume();
  await waitFor(() => /Recinto is running at/.test(err) || child.exitCode !== null, 20_000, { message: 'server started' });
  if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${err}`);
  return child;
}

describe('a server killed and started again', () => {
  it('gives everyone their place back: host, admitted, co-host, lock and ban hold', async () => {
    const port = await freeUdpAndTcpPort();
    const env = serverEnv(port);
    const url = `https://127.0.0.1:${port}`;
    // Accounts, sessions and a meeting with a waiting room, as the server would store them.
    const config = loadConfig({ env: { RECINTO_DATA_DIR: env.RECINTO_DATA_DIR! } });
    const db = openDatabase(config.dataDir);
    const key = loadOrCreateKey(config.secretKeyFile);
    const accounts = new AccountStore(db);
    const sessions = new SessionStore(db, { idleMinutes: 30, absoluteHours: 12 });
    const person = (username: string) => {
      const account = accounts.create({ username, displayName: username, role: 'staff', passwordHash: 'x', mustChangePassword: false });
      const http = new HttpClient(url);
      http.session = sessions.create(account.id, 'verified', {}).id;
      return http;
    };
    const [hana, ivo, cora, dan, eve] = ['hana', 'ivo', 'cora', 'dan', 'eve'].map(person) as [HttpClient, HttpClient, HttpClient, HttpClient, HttpClient];
    const meetings = new MeetingStore(db, key, config.meetings.policy);
    const meetingId = meetings.create({
      title: 'Comité',
      ownerId: accounts.byUsername('hana')!.id,
      policy: { ...config.meetings.policy, waitingRoom: true },
    }).id;
    db.close();

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

    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
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
