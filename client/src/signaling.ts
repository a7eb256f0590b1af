/**
 * Typed WebSocket client for Recinto's signalling protocol (protocol/signaling.ts).
 *
 * `request(method, params)` resolves with the method's typed result, or rejects with a
 * SignalingError whose `.code` is the server's ErrorCode (or a client-side code such as
 * CONNECTION_LOST / TIMEOUT). Notifications are dispatched to handlers registered with `on()`.
 */
import type { ErrorCode } from '../../protocol/errors.ts';
import type { MethodName, NotificationName, NotificationParams, Params, Result, ServerMessage } from '../../protocol/signaling.ts';
import type { ClientErrorCode } from './errors.ts';

export class SignalingError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  constructor(code: ErrorCode | ClientErrorCode, message: string) {
    super(message);
    this.name = 'SignalingError';
    this.code = code;
  }
}

type Pending = {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

type NotificationHandler<N extends NotificationName> = (params: NotificationParams<N>) => void;

const MAX_ID = 2 ** 31 - 1;

export class Signaling {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<NotificationName, Set<(params: never) => void>>();
  readonly #closeHandlers = new Set<(code: number, reason: string) => void>();
  #nextId = 1;
  #closedByUs = false;
  #closed = false;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (ev) => this.#onMessage(ev));
    ws.addEventListener('close', (ev) => this.#onClose(ev.code, ev.reason));
  }

  /** Opens the socket; rejects with CONNECTION_FAILED if it cannot be opened within `timeoutMs`. */
  static connect(url: string, timeoutMs = 10_000): Promise<Signaling> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (err) {
        reject(new SignalingError('CONNECTION_FAILED', String(err)));
        return;
      }
      const timer = setTimeout(() => {
        ws.close();
        reject(new SignalingError('CONNECTION_FAILED', `timeout opening ${url}`));
      }, timeoutMs);
      const onOpen = () => {
        clearTimeout(timer);
        ws.removeEventListener('close', onFail);
        resolve(new Signaling(ws));
      };
      const onFail = () => {
        clearTimeout(timer);
        ws.removeEventListener('open', onOpen);
        reject(new SignalingError('CONNECTION_FAILED', `cannot open ${url}`));
      };
      ws.addEventListener('open', onOpen, { once: true });
      ws.addEventListener('close', onFail, { once: true });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  request<M extends MethodName>(method: M, params: Params<M>, timeoutMs = 20_000): Promise<Result<M>> {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new SignalingError('CONNECTION_LOST', `socket closed before ${method}`));
    }
    const id = this.#nextId;
    this.#nextId = this.#nextId >= MAX_ID ? 1 : this.#nextId + 1;
    return new Promise<Result<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError('TIMEOUT', `${method} got no response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  on<N extends NotificationName>(name: N, handler: NotificationHandler<N>): void {
    let set = this.#handlers.get(name);
    if (!set) {
      set = new Set();
      this.#handlers.set(name, set);
    }
    set.add(handler);
  }

  /** Called when the socket closes for any reason other than our own `close()`. */
  onClose(handler: (code: number, reason: string) => void): void {
    this.#closeHandlers.add(handler);
  }

  close(): void {
    this.#closedByUs = true;
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(1000, 'bye');
    }
    this.#onClose(1000, 'closed by client');
  }

  #onMessage(ev: MessageEvent): void {
    // Closed (by us or the server): nothing more is dispatched, whatever was still in flight.
    if (this.#closed || typeof ev.data !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(ev.data) as ServerMessage;
    } catch {
      console.warn('[signaling] non-JSON message ignored');
      return;
    }
    if ('notification' in msg) {
      const set = this.#handlers.get(msg.notification);
      if (!set) return;
      for (const h of set) {
        try {
          (h as (p: unknown) => void)(msg.params);
        } catch (err) {
          console.error(`[signaling] handler for ${msg.notification} threw`, err);
        }
      }
      return;
    }
    if (msg.id === null) {
      if (!msg.ok) console.warn('[signaling] error without request id', msg.error);
      return;
    }
    const pending = this.#pending.get(msg.id);
    if (!pending) return;
    this.#pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (msg.ok) pending.resolve(msg.result);
    else pending.reject(new SignalingError(msg.error.code, msg.error.message));
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new SignalingError('CONNECTION_LOST', `socket closed (${code}) before response ${id}`));
    }
    this.#pending.clear();
    if (!this.#closedByUs) {
      for (const h of this.#closeHandlers) h(code, reason);
    }
  }
}
