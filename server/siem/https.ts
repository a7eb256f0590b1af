/**
 * HTTPS to the SIEM: each batch is one POST of JSON (format.ts httpsBatch), signed with
 * HMAC-SHA256 under a key shared with the receiver. Headers:
 *
 *   X-Recinto-Timestamp: <ms since the epoch, when signed>
 *   X-Recinto-Signature: sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>
 *
 * the body being the exact bytes sent. A 2xx reply acknowledges the batch (the cursor moves past
 * it); anything else, or no reply, keeps it in the outbox, to be sent again after a backoff. A
 * receiver that acknowledged a batch whose reply was lost gets it again: it de-duplicates by seq.
 */
import { createHmac } from 'node:crypto';
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { Forwarder, type ForwarderOptions } from './forwarder.ts';
import { httpsBatch } from './format.ts';
import { positionAfter } from './outbox.ts';

export const TIMESTAMP_HEADER = 'x-recinto-timestamp';
export const SIGNATURE_HEADER = 'x-recinto-signature';

/** The signature header's value for `body` signed at `timestamp`. */
export function signBatch(key: Buffer, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export interface HttpsOptions extends ForwarderOptions {
  url: string;
  key: Buffer;
  /** PEM: the CA that signs the receiver's certificate; undefined: Node's trusted roots. */
  ca?: Buffer | undefined;
  /** The `host` of each batch (this server's name). */
  host?: string;
  timeoutMs?: number;
}

/** The receiver's URL, normalised and without credentials: the destination's name in the outbox and the logs. */
export function httpsDestination(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href;
}

export class HttpsForwarder extends Forwarder {
  readonly #url: URL;
  readonly #key: Buffer;
  readonly #agent: Agent;
  readonly #host: string | undefined;
  readonly #timeoutMs: number;
  #inFlight: ClientRequest | undefined;

  constructor(options: HttpsOptions) {
    super(options);
    this.#url = new URL(options.url);
    this.#key = options.key;
    this.#host = options.host;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#agent = new Agent({ keepAlive: true, maxSockets: 1, minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) });
  }

  protected abort(): void {
    this.#inFlight?.destroy(new Error('closing: gave up on the last batch'));
  }

  protected async session(): Promise<void> {
    try {
      for (;;) {
        const from = this.outbox.acked;
        const items = this.stopping && this.pastDeadline ? [] : this.outbox.read(from, this.batchSize);
        if (items.length === 0) {
          if (this.stopping) return;
          await this.idle();
          continue;
        }
        await this.#post(Buffer.from(httpsBatch(items, this.#host)));
        this.outbox.ack(positionAfter(from, items));
        this.succeeded();
      }
    } finally {
      if (this.stopping) this.#agent.destroy();
    }
  }

  #post(body: Buffer): Promise<void> {
    const timestamp = String(Date.now());
    return new Promise((resolve, reject) => {
      const req = request(this.#url, {
        method: 'POST',
        agent: this.#agent,
        timeout: this.#timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signBatch(this.#key, timestamp, body),
        },
      });
      this.#inFlight = req;
      req.on('timeout', () => req.destroy(new Error(`no reply within ${this.#timeoutMs} ms`)));
      req.on('error', (error) => {
        this.#inFlight = undefined;
        reject(error);
      });
      req.on('response', (res) => {
        res.resume();
        res.on('error', reject);
        res.on('end', () => {
          this.#inFlight = undefined;
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`the receiver answered ${status}`));
        });
      });
      req.end(body);
    });
  }
}
