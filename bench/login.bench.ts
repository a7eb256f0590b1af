/**
 * Sign-in cost at the default argon2id parameters (m = 64 MiB, t = 3, p = 4): the password step
 * of POST /api/auth/login against the real server, one at a time and under 20 concurrent
 * sign-ins, with the process's peak resident memory while they run. The hashing pool is bounded
 * (one hash per core by default), so memory must stay flat however many sign-ins queue.
 */
import { HttpClient } from '../test/helpers/http-client.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { summary } from './stats.ts';

export const name = 'login';

const SEQUENTIAL = Number(process.env['BENCH_N'] ?? 20);
const CONCURRENT = 20;
const ROUNDS = 3;

async function login(url: string, username: string, password: string): Promise<number> {
  const t0 = performance.now();
  const reply = await new HttpClient(url).post('/api/auth/login', { username, password });
  if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return performance.now() - t0;
}

export async function run(): Promise<string[]> {
  const server = await startTestServer({ log: { level: 'error' }, auth: { loginAttemptsPerMinutePerIp: 100_000 } });
  try {
    const user = await server.createUser('bench.user');
    await login(server.url, user.username, user.password); // warm-up (JIT, first argon2 allocation)

    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await login(server.url, user.username, user.password));

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    const concurrent: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      concurrent.push(...(await Promise.all(Array.from({ length: CONCURRENT }, () => login(server.url, user.username, user.password)))));
    }
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    return [
      summary('login_ms', sequential),
      summary('login_ms_under_20_concurrent', concurrent),
      `login_throughput_per_s: ${(concurrent.length / seconds).toFixed(1)} logins/s concurrency=${CONCURRENT} n=${concurrent.length}`,
      `login_peak_rss_mib: ${mib(peak)} MiB (baseline ${mib(baseline)} MiB, +${mib(peak - baseline)} MiB under ${CONCURRENT} concurrent)`,
    ];
  } finally {
    await server.close();
  }
}
