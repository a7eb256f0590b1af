/**
 * Syslog over TLS (RFC 5425): one connection to the SIEM's collector, the server certificate
 * checked against the configured CA and the host name, TLS 1.2 or later, an optional client
 * certificate (mutual TLS); each record and checkpoint one RFC 5424 message, octet-counted.
 *
 * Syslog has no acknowledgement. A record counts as acknowledged (the cursor moves past it) once
 * its bytes were handed to the kernel on an open connection AND the connection then stayed up for
 * `settleMs` more: a receiver that dies or refuses us (a rejected client certificate under TLS
 * 1.3 is only seen after the first writes) closes the connection well within that time, and what
 * was written in the window is sent again on the next connection. It is not an end-to-end
 * acknowledgement (a collector that loses what it has read, or a network that swallows a
 * connection for longer than the window, can still lose records), and resending may repeat the last
 * records written before a failure or a shutdown: receivers de-duplicate by seq.
 */
import { connect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { Forwarder, type ForwarderOptions } from './forwarder.ts';
import { octetCounted } from './format.ts';
import { positionAfter, type OutboxItem, type OutboxPosition } from './outbox.ts';

export interface SyslogTarget {
  host: string;
  port: number;
  /** PEM: the CA that signs the collector's certificate; undefined: Node's trusted roots. */
  ca?: Buffer | undefined;
  /** PEM: this server's client certificate and key (mutual TLS), both or neither. */
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
}

export interface SyslogOptions extends ForwarderOptions {
  target: SyslogTarget;
  format: (item: OutboxItem) => string;
  /** How long a connection must stay up after a write before the write counts as acknowledged. */
  settleMs?: number;
  /** A write the kernel has not taken within this time means the collector stopped reading. */
  writeTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function syslogDestination(target: Pick<SyslogTarget, 'host' | 'port'>): string {
  return `syslog://${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;
}

interface Mark {
  at: number;
  position: OutboxPosition;
}

export class SyslogForwarder extends Forwarder {
  readonly #target: SyslogTarget;
  readonly #format: (item: OutboxItem) => string;
  readonly #settleMs: number;
  readonly #writeTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #socket: TLSSocket | undefined;

  constructor(options: SyslogOptions) {
    super(options);
    this.#target = options.target;
    this.#format = options.format;
    this.#settleMs = options.settleMs ?? 2000;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 30_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  protected abort(): void {
    this.#socket?.destroy(new Error('closing: gave up on the last writes'));
  }

  protected async session(): Promise<void> {
    const socket = await this.#connect();
    this.#socket = socket;
    const connectedAt = Date.now();
    let lostAt: number | undefined;
    let lostError: Error | undefined;
    const lost = new Promise<never>((_, reject) => {
      socket.once('close', () => {
        lostAt ??= Date.now();
        reject(lostError ?? new Error('the collector closed the connection'));
      });
    });
    lost.catch(() => {});
    socket.on('error', (error: Error) => {
      lostError ??= error;
    });
    socket.resume(); // a collector sends nothing; read (and drop) whatever comes, so it is not buffered

    // Written but not yet settled: the position after each write, and when the kernel took it.
    const marks: Mark[] = [];
    let healthy = false;
    const settle = (now: number) => {
      let settled: Mark | undefined;
      while (marks.length > 0 && marks[0]!.at <= now - this.#settleMs) settled = marks.shift();
      if (settled) this.outbox.ack(settled.position);
      // Up for a whole window: the collector accepts us (backoff starts over).
      if (!healthy && lostAt === undefined && now - connectedAt >= this.#settleMs) {
        healthy = true;
        this.succeeded();
      }
    };
    const timer = setInterval(() => settle(Date.now()), Math.max(50, Math.floor(this.#settleMs / 4)));
    let sent = this.outbox.acked;
    try {
      for (;;) {
        if (lostAt !== undefined) await lost;
        const items = this.stopping && this.pastDeadline ? [] : this.outbox.read(sent, this.batchSize);
        if (items.length === 0) {
          if (this.stopping) return;
          await Promise.race([this.idle(), lost]);
          continue;
        }
        await Promise.race([this.#write(socket, items.map((item) => octetCounted(this.#format(item))).join('')), lost]);
        sent = positionAfter(sent, items);
        marks.push({ at: Date.now(), position: sent });
      }
    } finally {
      clearInterval(timer);
      // What settled before the connection was lost (or before now, when closing) is acknowledged.
      settle(lostAt ?? Date.now());
      this.#socket = undefined;
      if (lostAt === undefined) await this.#end(socket);
      else socket.destroy();
    }
  }

  #connect(): Promise<TLSSocket> {
    const { host, port, ca, cert, key } = this.#target;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port,
        // SNI and the certificate's name check use the configured host name (an IP address: its SAN).
        ...(isIP(host) ? {} : { servername: host }),
        ...(ca ? { ca } : {}),
        ...(cert && key ? { cert, key } : {}),
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      });
      this.#socket = socket; // so that close() can abort a connection attempt too
      const timer = setTimeout(
        () => socket.destroy(new Error(`no TLS connection to ${host}:${port} within ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      );
      timer.unref();
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.setKeepAlive(true, 30_000);
        resolve(socket);
      });
      const onError = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        this.#socket = undefined;
        reject(error);
      };
      socket.once('error', onError);
    });
  }

  /** Resolves once the kernel has taken the bytes; a collector that stops reading fails it after writeTimeoutMs. */
  #write(socket: TLSSocket, data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error(`the collector took nothing for ${this.#writeTimeoutMs} ms`)), this.#writeTimeoutMs);
      timer.unref();
      socket.write(data, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /** close_notify and FIN, then wait briefly for the collector to close its side. */
  async #end(socket: TLSSocket): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 500);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }
}
