/**
 * Signalling under a crowd: 200 simulated participants (real WebSockets, no media) join one
 * meeting, 20 at a time; join round-trip median/p95, and memory per participant. Sessions are
 * minted straight in the store (sign-in has its own bench, `login`); memory is measured in this
 * one process, so it includes the 200 client sockets too: an upper bound for the server.
 */
import { randomBytes } from 'node:crypto';
import { HttpClient } from '../test/helpers/http-client.ts';
import { OPEN_POLICY, startTestServer } from '../test/helpers/server.ts';
import { TestClient } from '../test/helpers/ws-client.ts';
import { summary } from './stats.ts';

export const name = 'signalling_join';

const PARTICIPANTS = Number(process.env['BENCH_PARTICIPANTS'] ?? 200);
const BATCH = 20;

export async function run(): Promise<string[]> {
  const server = await startTestServer({ log: { level: 'error' }, signaling: { messagesPerSecond: 1000, burst: 1000 } });
  const clients: TestClient[] = [];
  try {
    const { auth, hasher } = server.recinto;
    const passwordHash = await hasher.hash(randomBytes(16).toString('hex'));
    const browsers = Array.from({ length: PARTICIPANTS }, (_, i) => {
      const account = auth.accounts.create({
        username: `bench-${i}`,
        displayName: `Participante ${i}`,
        role: 'staff',
        passwordHash,
        mustChangePassword: false,
      });
      const http = new HttpClient(server.url);
      http.session = auth.sessions.create(account.id, 'verified', {}).id;
      return http;
    });
    const meetingId = server.createMeeting('Multitud', { policy: { ...OPEN_POLICY, maxParticipants: 1000 } });

    global.gc?.();
    const before = process.memoryUsage();
    const joinMs: number[] = [];
    for (let i = 0; i < browsers.length; i += BATCH) {
      await Promise.all(
        browsers.slice(i, i + BATCH).map(async (http) => {
          const client = await TestClient.connect(http);
          clients.push(client);
          const t0 = performance.now();
          const r = await client.join(meetingId);
          if (r.status !== 'joined') throw new Error(`expected to join, got ${r.status}`);
          joinMs.push(performance.now() - t0);
        }),
      );
    }
    global.gc?.();
    const after = process.memoryUsage();
    const perParticipant = (bytes: number) => (bytes / PARTICIPANTS / 1024).toFixed(0);
    return [
      summary('signalling_join_ms', joinMs).replace(/ n=/, ` participants=${PARTICIPANTS} batch=${BATCH} n=`),
      `signalling_memory_per_participant_kib: rss=${perParticipant(after.rss - before.rss)} heap=${perParticipant(after.heapUsed - before.heapUsed)} KiB (server and client sockets in one process: an upper bound)`,
    ];
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
}
