/**
 * Recovery as people feel it, two browsers in a meeting (fake camera and microphone):
 * - `worker_crash_media_back_ms`: the media worker under the meeting is killed (SIGKILL); time
 *   until both browsers decode each other's video again, on their own (the server's `reconnect`);
 * - `server_restart_rejoin_ms`: the whole server process is killed (SIGKILL) and started again at
 *   once on the same data; time from the kill until both browsers decode each other again, on
 *   their own (the client retries a lost connection; the meeting's memory puts them back in).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ensureClientBuilt } from '../scripts/client-build.ts';
import { SESSION_COOKIE } from '../server/auth/sessions.ts';
import { launchBrowser, signedInBrowser, type LaunchedBrowser } from '../test/helpers/browser.ts';
import { freeUdpAndTcpPort } from '../test/helpers/coturn.ts';
import { pageInfo, pageStats } from '../test/helpers/page.ts';
import { killServerProcess, seedDataDir, serverEnv, startServerProcess } from '../test/helpers/server-process.ts';
import { OPEN_POLICY, startTestServer } from '../test/helpers/server.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { summary } from './stats.ts';

export const name = 'recovery';

const N = Number(process.env['BENCH_N'] ?? 5);

/** Resolves with this page's participant id once it is inside and decoding video under an id other than `not`. */
async function decodingAgain(page: Page, not: string | null, timeoutMs = 30_000): Promise<string> {
  return waitFor(
    async () => {
      const s = await pageInfo(page);
      if (s.state !== 'joined' || !s.id || s.id === not) return null;
      return (await pageStats(page)).some((x) => x.kind === 'video' && x.framesDecoded > 0) ? s.id : null;
    },
    timeoutMs,
    { message: 'decoding again', intervalMs: 25 },
  );
}

async function joinBoth(pages: Page[], url: string, meetingId: string): Promise<string[]> {
  for (const page of pages) {
    await page.goto(`${url}/m/${meetingId}`);
    await page.getByRole('button', { name: 'Unirse' }).click();
  }
  return Promise.all(pages.map((p) => decodingAgain(p, null)));
}

async function workerCrash(): Promise<number[]> {
  const server = await startTestServer({ log: { level: 'error' } });
  const browsers: LaunchedBrowser[] = [];
  try {
    const users = await Promise.all([server.createUser('uno', { displayName: 'Uno' }), server.createUser('dos', { displayName: 'Dos' })]);
    browsers.push(...(await Promise.all(users.map((u) => signedInBrowser(server, u)))));
    const pages = browsers.map((b) => b.page);
    let ids = await joinBoth(pages, server.url, server.createMeeting('Bench recuperación', { policy: OPEN_POLICY }));
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const worker = server.recinto.pool.slots[0]!.worker;
      const t0 = Date.now();
      process.kill(worker.pid, 'SIGKILL');
      ids = await Promise.all(pages.map((p, k) => decodingAgain(p, ids[k]!)));
      times.push(Date.now() - t0);
      console.error(`#   worker crash ${i + 1}/${N}: media back in ${times.at(-1)} ms`);
      // Let the replacement worker settle before the next kill.
      await new Promise((r) => setTimeout(r, 1000));
    }
    return times;
  } finally {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await server.close();
  }
}

async function serverRestart(): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'recinto-bench-restart-'));
  const port = await freeUdpAndTcpPort();
  const env = serverEnv(dir, port);
  const url = `https://127.0.0.1:${port}`;
  const { people, meetingId } = seedDataDir(env, url, ['uno', 'dos'], OPEN_POLICY);
  let server: ChildProcess | undefined;
  const browsers: LaunchedBrowser[] = [];
  try {
    server = await startServerProcess(env);
    for (const http of people) {
      const b = await launchBrowser();
      await b.context.addCookies([{ name: SESSION_COOKIE, value: http.session!, url, httpOnly: true, secure: true, sameSite: 'Strict' }]);
      browsers.push(b);
    }
    const pages = browsers.map((b) => b.page);
    let ids = await joinBoth(pages, url, meetingId);
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      // Snapshots of what the meeting remembers are written each second.
      await new Promise((r) => setTimeout(r, 1200));
      const t0 = Date.now();
      await killServerProcess(server);
      server = await startServerProcess(env);
      ids = await Promise.all(pages.map((p, k) => decodingAgain(p, ids[k]!, 60_000)));
      times.push(Date.now() - t0);
      console.error(`#   server restart ${i + 1}/${N}: both back and decoding in ${times.at(-1)} ms`);
    }
    return times;
  } finally {
    await Promise.allSettled(browsers.map((b) => b.close()));
    if (server) await killServerProcess(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<string[]> {
  await ensureClientBuilt();
  const crash = await workerCrash();
  const restart = await serverRestart();
  return [summary('worker_crash_media_back_ms', crash), summary('server_restart_rejoin_ms', restart)];
}
