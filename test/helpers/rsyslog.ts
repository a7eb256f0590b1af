/**
 * A real rsyslog (Debian's `rsyslog` + `rsyslog-gnutls`; .ci/run installs them) as the SIEM's
 * collector: a foreground process (`rsyslogd -n`) with its own configuration and work directory,
 * unprivileged (as nobody when the tests run as root), listening with imtcp and the gtls stream
 * driver (RFC 5425, octet-counted framing), mutual TLS if asked. Each message it receives is one
 * line of the output file: rsyslog's own JSON of it (`%jsonmesg%`: the whole raw message, the
 * header fields as rsyslog parsed them, and the structured data parsed by mmpstrucdata).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait.ts';

const RSYSLOGD = process.env['RECINTO_RSYSLOGD'] ?? '/usr/sbin/rsyslogd';
const NOBODY = 65534;

/** One message as rsyslog received and parsed it. */
export interface Received {
  rawmsg: string;
  msg: string;
  pri: string;
  timereported: string;
  hostname: string;
  'app-name': string;
  procid: string;
  msgid: string;
  'structured-data': string;
  /** SD-PARAMs of our SD-ID, unescaped by rsyslog's mmpstrucdata. */
  sd: Record<string, string>;
}

export interface Rsyslog {
  port: number;
  /** Its directory (configuration, work directory, the output file). */
  dir: string;
  /** The output file: one line per message received. */
  file: string;
  /** Everything received so far, oldest first. */
  received(): Received[];
  /** rsyslogd's own output (for failures). */
  output(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and deletes its directory. */
  remove(): Promise<void>;
}

export interface RsyslogOptions {
  port: number;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Refuse clients without a certificate signed by the CA (x509/certvalid); otherwise anonymous clients. */
  requireClientCert?: boolean;
  /** `raw`: each line is the message as received (`%rawmsg%`), nothing parsed (benches); default `json`. */
  lines?: 'json' | 'raw';
}

function parse(line: string): Received {
  const raw = JSON.parse(line) as Omit<Received, 'sd'> & { '$!'?: { 'rfc5424-sd'?: Record<string, Record<string, string>> } | null };
  const { '$!': vars, ...fields } = raw;
  return { ...fields, sd: vars?.['rfc5424-sd']?.['recinto@32473'] ?? {} };
}

export function rsyslog(options: RsyslogOptions): Rsyslog {
  if (!existsSync(RSYSLOGD)) throw new Error(`${RSYSLOGD} missing: install Debian's rsyslog and rsyslog-gnutls (.ci/run does)`);
  const { port } = options;
  // Its own directory straight under the temporary directory, so that nobody can reach it.
  const dir = mkdtempSync(join(tmpdir(), 'recinto-rsyslog-'));
  const work = join(dir, 'work');
  mkdirSync(work, { recursive: true });
  // Its own copies of the files it reads, so that it can read them as nobody.
  for (const [from, to] of [
    [options.caFile, 'ca.pem'],
    [options.certFile, 'cert.pem'],
    [options.keyFile, 'key.pem'],
  ] as const) {
    copyFileSync(from, join(dir, to));
  }
  const raw = options.lines === 'raw';
  const out = join(dir, 'received.jsonl');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${work}" maxMessageSize="64k"
  defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="${join(dir, 'ca.pem')}"
  defaultNetstreamDriverCertFile="${join(dir, 'cert.pem')}"
  defaultNetstreamDriverKeyFile="${join(dir, 'key.pem')}")
main_queue(queue.workerThreads="1")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="${options.requireClientCert ? 'x509/certvalid' : 'anon'}")
module(load="mmpstrucdata")
template(name="whole" type="string" string="${raw ? '%rawmsg%' : '%jsonmesg%'}\\n")
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="siem")
ruleset(name="siem") {
  ${raw ? '' : 'action(type="mmpstrucdata")'}
  action(type="omfile" file="${out}" template="whole")
}
`,
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    const own = (path: string) => {
      chownSync(path, NOBODY, NOBODY);
      if (statSync(path).isDirectory()) for (const f of readdirSync(path)) own(join(path, f));
    };
    own(dir);
  }
  let child: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return {
    port,
    dir,
    file: out,
    received: () =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map(parse)
        : [],
    output: () => output,
    async start() {
      const proc = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(work, 'rsyslogd.pid')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      });
      child = proc;
      proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
      // Listening once a TCP connection is accepted (the probe closes before any TLS: rsyslog logs it and goes on).
      await waitFor(
        () => {
          if (proc.exitCode !== null) throw new Error(`rsyslogd exited (${proc.exitCode}):\n${output}`);
          return new Promise<boolean>((resolve) => {
            const probe = connect(port, '127.0.0.1', () => {
              probe.destroy();
              resolve(true);
            });
            probe.on('error', () => resolve(false));
          });
        },
        10_000,
        { message: `rsyslogd listening on ${port}`, intervalMs: 25 },
      );
    },
    stop,
    async remove() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
