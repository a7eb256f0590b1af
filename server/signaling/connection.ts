/**
 * One signalling WebSocket: size limit, rate limit, parsing and schema validation of every
 * message, dispatch to the method's handler (one request at a time, in order), responses,
 * notifications, heartbeat, and clean-up when the socket goes away. Bad input gets an error
 * response with a code; the connection stays up and nothing changes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { DomainError } from '../errors.ts';
import { compile, describeErrors, type Validator } from '../validation.ts';
import type { Caller, Services } from './context.ts';
import { handlers } from './handlers/index.ts';
import { CloseCode } from '../../protocol/close-codes.ts';
import { Methods, RequestEnvelope, type MethodName, type NotificationName, type NotificationParams, type ResponseEnvelope } from '../../protocol/signaling.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { TokenBucket } from '../rate-limit.ts';

const isEnvelope = compile(RequestEnvelope);
const paramValidators = Object.fromEntries(Object.entries(Methods).map(([name, m]) => [name, compile(m.params)])) as Record<
  MethodName,
  Validator<(typeof Methods)[MethodName]['params']>
>;

/** Refusals in a row (rate limit) after which the peer is considered abusive and disconnected. */
const MAX_CONSECUTIVE_REFUSALS = 200;

export class SignalingConnection implements Caller {
  readonly connectionId = randomUUID();
  readonly remoteAddress: string;
  readonly account: Caller['account'];
  /** Hash of the auth session that opened this socket; the socket lives only as long as it. */
  readonly sessionIdHash: string;
  readonly sessionExpiresAt: number;
  membership: Caller['membership'];

  readonly #socket: WebSocket;
  readonly #services: Services;
  readonly #log: Logger;
  readonly #bucket: TokenBucket;
  #queue: Promise<void> = Promise.resolve();
  #refusalsInRow = 0;
  /**
   * Notifications held while this connection's `join` is being answered. The meeting may tell us
   * of someone who entered after our snapshot was taken but before the answer left (two people
   * joining a meeting that is just starting both wait for its room): sent before the answer, the
   * client would drop it, not being inside yet, and never see that person. Held, it follows it.
   */
  #held: Array<{ notification: string; params: unknown }> | undefined;
  /** Cut off for flooding: nothing more is read, answered or logged. */
  #cutOff = false;
  #alive = true;
  readonly #heartbeat: NodeJS.Timeout;
  /** Looks the session up (refreshing its activity); false once it has ended. */
  readonly #sessionAlive: () => boolean;

  constructor(
    socket: WebSocket,
    services: Services,
    opened: { remoteAddress: string; account: Caller['account']; sessionIdHash: string; sessionExpiresAt: number; sessionAlive: () => boolean },
  ) {
    this.#socket = socket;
    this.#services = services;
    this.remoteAddress = opened.remoteAddress;
    this.account = opened.account;
    this.sessionIdHash = opened.sessionIdHash;
    this.sessionExpiresAt = opened.sessionExpiresAt;
    this.#sessionAlive = opened.sessionAlive;
    this.#log = services.log.child({ conn: this.connectionId, user: opened.account.id });
    const s = services.config.signaling;
    this.#bucket = new TokenBucket(s.messagesPerSecond, s.burst);

    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    // A live socket keeps its session alive (a quiet call is still use), until the session's
    // absolute limit or a revocation ends it.
    socket.on('pong', () => {
      this.#alive = true;
      if (!this.#sessionAlive()) this.endSession();
    });
    socket.on('close', () => this.#onClose());
    socket.on('error', (error) => this.#log.warn({ err: error }, 'signalling socket error'));
    this.#heartbeat = setInterval(() => {
      if (!this.#alive) {
        this.#log.info('no heartbeat; closing signalling socket');
        socket.terminate();
        return;
      }
      this.#alive = false;
      socket.ping();
    }, s.heartbeatSeconds * 1000);
    this.#heartbeat.unref();
  }

  notify<N extends NotificationName>(name: N, params: NotificationParams<N>): void {
    if (this.#held) this.#held.push({ notification: name, params });
    else this.#send({ notification: name, params });
  }

  /** The auth session behind this socket ended: leave the meeting and close. */
  endSession(): void {
    this.#socket.close(CloseCode.SESSION_ENDED, 'session ended');
  }

  /** Ends the connection from the server side (shutdown). */
  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#cutOff) return;
    const received = performance.now();
    if (!this.#bucket.take()) {
      if (++this.#refusalsInRow >= MAX_CONSECUTIVE_REFUSALS) {
        // A peer that ignores RATE_LIMITED would ignore a close handshake too: drop the TCP
        // connection at once, and say so once.
        this.#cutOff = true;
        this.#log.warn({ refusals: this.#refusalsInRow, ip: this.remoteAddress }, 'signalling flood; connection terminated');
        this.#refuse('signaling.flood_disconnect', ErrorCode.RATE_LIMITED);
        this.#services.metrics.refused(ErrorCode.RATE_LIMITED);
        this.#socket.terminate();
        return;
      }
      this.#refuse('signaling.message', ErrorCode.RATE_LIMITED);
      this.#error(cheapRequestId(data), ErrorCode.RATE_LIMITED, 'too many messages; slow down');
      return;
    }
    this.#refusalsInRow = 0;
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (bytes > this.#services.config.signaling.maxMessageBytes) {
      this.#error(null, ErrorCode.MESSAGE_TOO_LARGE, `messages are limited to ${this.#services.config.signaling.maxMessageBytes} bytes`);
      return;
    }
    if (isBinary) {
      this.#error(null, ErrorCode.BAD_REQUEST, 'binary messages are not accepted');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    } catch {
      this.#error(null, ErrorCode.BAD_REQUEST, 'not valid JSON');
      return;
    }
    if (!isEnvelope(message)) {
      const id = (message as { id?: unknown } | null)?.id;
      this.#error(Number.isInteger(id) ? (id as number) : null, ErrorCode.BAD_REQUEST, `not a request: ${describeErrors(isEnvelope.errors).join('; ')}`);
      return;
    }
    const { id, method } = message;
    if (!Object.hasOwn(Methods, method)) {
      this.#error(id, ErrorCode.UNKNOWN_METHOD, `unknown method ${JSON.stringify(method)}`);
      return;
    }
    const params = message.params ?? {};
    // The session may have ended since the last message. Revocations in this process close the
    // socket at once ('ended'), but expiry, the CLI (another process) and a deleted meeting's
    // guest sessions (ON DELETE CASCADE) leave no event: only the table knows, so ask it (one
    // primary-key lookup with a statement prepared once, in SessionTable).
    if (!this.#sessionAlive()) {
      this.endSession();
      return;
    }
    const validate = paramValidators[method as MethodName];
    if (!validate(params)) {
      this.#refuse(`signaling.${method}`, ErrorCode.INVALID_PARAMS);
      this.#error(id, ErrorCode.INVALID_PARAMS, describeErrors(validate.errors, 'params').join('; '));
      return;
    }
    // One request at a time per connection, in arrival order.
    this.#queue = this.#queue.then(() => this.#dispatch(id, method as MethodName, params, received));
  }

  /** `received`: when the message arrived (performance.now()), for the join time. */
  async #dispatch(id: number, method: MethodName, params: unknown, received: number): Promise<void> {
    if (method === 'join') this.#held = [];
    try {
      const handler = handlers[method] as (s: Services, caller: Caller, p: unknown) => Promise<unknown>;
      const result = await handler(this.#services, this, params);
      this.#send({ id, ok: true, result });
      if (method === 'join') this.#services.metrics.joinAnswered((result as { status: 'joined' | 'waiting' }).status, (performance.now() - received) / 1000);
    } catch (error) {
      if (error instanceof DomainError) {
        // Refusals no handler audited (e.g. host controls from the waiting room, media calls on
        // ids that are not the caller's): aggregated, so a flood of them costs a row a minute.
        if (!error.audited) this.#refuse(`signaling.${method}`, error.code);
        this.#error(id, error.code, error.message);
      } else {
        this.#log.error({ err: error, method }, 'signalling handler failed');
        this.#error(id, ErrorCode.INTERNAL, 'internal error');
      }
    } finally {
      const held = this.#held;
      this.#held = undefined;
      for (const message of held ?? []) this.#send(message);
    }
  }

  #onClose(): void {
    clearInterval(this.#heartbeat);
    // Runs after any request in flight, so a join that is completing is undone too.
    this.#queue = this.#queue.then(() => {
      const membership = this.membership;
      if (!membership) return;
      this.membership = undefined;
      // A socket that closes without `leave` lost its connection: someone inside may come straight back.
      if (membership.waiting) membership.meeting.leave({ waiting: membership.waiting });
      else membership.meeting.connectionLost(membership.participant);
      this.#services.audit({
        action: 'meeting.leave',
        outcome: 'ok',
        actor: this.account.id,
        meetingId: membership.meeting.id,
        detail: { reason: 'disconnected' },
      });
    });
  }

  #refuse(action: string, code: ErrorCode): void {
    this.#services.refusals.record({ action, code, actor: this.account.id, meetingId: this.membership?.meeting.id, ip: this.remoteAddress });
  }

  /** Every error answer goes through here, and is counted by its code. */
  #error(id: number | null, code: ErrorCode, message: string): void {
    this.#services.metrics.refused(code);
    this.#send({ id, ok: false, error: { code, message } });
  }

  #send(message: ResponseEnvelope | { notification: string; params: unknown }): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(message));
  }
}

/** The id of a small refused message, so the client can match the refusal; null if unknown. */
function cheapRequestId(data: RawData): number | null {
  if (!Buffer.isBuffer(data) || data.length > 4096) return null;
  try {
    const id = (JSON.parse(data.toString('utf8')) as { id?: unknown } | null)?.id;
    return Number.isInteger(id) ? (id as number) : null;
  } catch {
    return null;
  }
}
