/** A real coturn (Debian's `coturn`; .ci/run installs it) started on a configuration the test wrote. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TurnClient } from './turn-client.ts';
import { waitFor } from './wait.ts';

const TURNSERVER = process.env['RECINTO_TURNSERVER'] ?? '/usr/bin/turnserver';

export async function freeUdpAndTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A free range of `size` relay ports (random, so parallel test files rarely collide). */
export function relayPorts(size = 50): { minPort: number; maxPort: number } {
  const minPort = 40000 + Math.floor(Math.random() * 20000);
  return { minPort, maxPort: minPort + size };
}

export interface Coturn {
  output(): string;
  stop(): void;
}

/** Starts coturn on `conf` and waits until it answers on `address`:`port`. */
export async function startCoturn(conf: string, port: number, address = '127.0.0.1'): Promise<Coturn> {
  if (!existsSync(TURNSERVER)) throw new Error(`${TURNSERVER} missing: install Debian's coturn (apt-get install coturn; .ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'recinto-turn-'));
  writeFileSync(join(dir, 'turnserver.conf'), conf);
  let output = '';
  const child: ChildProcess = spawn(TURNSERVER, ['-c', join(dir, 'turnserver.conf'), '--pidfile', join(dir, 'turnserver.pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Up once it answers an unauthenticated Allocate (with 401).
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`coturn exited (${child.exitCode}):\n${output}`);
        const c = await TurnClient.open(address, port);
        try {
          return (await c.allocate('probe', 'probe').catch(() => null)) !== null;
        } finally {
          c.close();
        }
      },
      10_000,
      { message: 'coturn answers' },
    );
  } catch (error) {
    stop();
    throw error;
  }
  return { output: () => output, stop };
}
