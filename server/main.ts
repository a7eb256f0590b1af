/**
 * `./recinto start` (or `node server/main.ts`): start the server with the configuration from
 * config/, config/local.json and RECINTO_* variables. Exits with a message naming the problem
 * when the configuration is invalid, the port is taken, or the media worker cannot start.
 */
import { startRecinto } from './app.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createLogger } from './log.ts';
import { WorkerBinaryMissingError } from './media/worker-pool.ts';

function fail(message: string, code: number): never {
  process.stderr.write(`recinto: ${message}\n`);
  process.exit(code);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message, 78);
  throw error;
}

const log = createLogger(config);
try {
  const server = await startRecinto(config, log);
  if (server.firstAdmin) {
    // Straight to the console, never through the logger: this password must not reach log files.
    process.stderr.write(
      `\n  First start: an administrator account was created.\n` +
        `    username: ${server.firstAdmin.username}\n    password: ${server.firstAdmin.password}\n` +
        `  It is shown only now. Sign in at ${server.url}/ to change it and set up two-factor authentication.\n`,
    );
    server.firstAdmin = undefined;
  }
  process.stderr.write(`\nRecinto is running at ${server.url}\n` + `  add a staff account:  ./recinto user add ana.perez --name "Ana Pérez"\n\n`);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      // SIGTERM (a service manager's stop) drains: meetings are told and may end on their own
      // within server.drainSeconds; Ctrl-C (SIGINT) stops at once.
      const draining = signal === 'SIGTERM' && config.server.drainSeconds > 0;
      log.info({ signal, drainSeconds: draining ? config.server.drainSeconds : 0 }, draining ? 'draining, then stopping' : 'stopping');
      (draining ? server.drain() : Promise.resolve())
        .then(() => server.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'error while stopping');
            process.exit(1);
          },
        );
    });
  }
} catch (error) {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') fail(`port ${config.server.port} on ${config.server.host} is in use (set RECINTO_PORT or server.port)`, 69);
  if (err.code === 'EACCES') fail(`not allowed to listen on port ${config.server.port} (use a port above 1024 or grant the capability)`, 77);
  if (error instanceof WorkerBinaryMissingError) fail(error.message, 69);
  log.fatal({ err: error }, 'could not start');
  fail(`could not start: ${err.message}`, 1);
}
