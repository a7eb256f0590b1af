/** A minimal signalling client for tests: real WebSocket, typed requests, captured notifications. */
import WebSocket from 'ws';
import type { MeetingPolicyPatch } from '../../protocol/policy.ts';
import type { MethodName, NotificationName, NotificationParams, Params, Result } from '../../protocol/signaling.ts';
import type { HttpClient } from './http-client.ts';
import type { TestServer } from './server.ts';
import { waitFor } from './wait.ts';

export interface Reply {
  id: number | null;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  /** How many notifications this client had received when the reply arrived (their order). */
  afterNotifications?: number;
}

export type WaitingEntry = NotificationParams<'waitingAdded'>['entry'];

export class TestClient {
  readonly socket: WebSocket;
  readonly notifications: { notification: NotificationName; params: Record<string, unknown> }[] = [];
  /** Responses not claimed by a pending request (e.g. id null errors). */
  readonly unsolicited: Reply[] = [];
  readonly #pending = new Map<number, (reply: Reply) => void>();
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    // ws's default binaryType ('nodebuffer'): one Buffer per message, however it was framed.
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as Reply & { notification?: NotificationName; params?: Record<string, unknown> };
      if (message.notification) {
        this.notifications.push({ notification: message.notification, params: message.params ?? {} });
        return;
      }
      const resolve = message.id === null ? undefined : this.#pending.get(message.id);
      if (resolve) {
        this.#pending.delete(message.id!);
        resolve({ ...message, afterNotifications: this.notifications.length });
      } else {
        this.unsolicited.push(message);
      }
    });
  }

  /** Opens /ws as the signed-in browser `http` would (its session cookie and origin). */
  static connect(http: HttpClient, options: { origin?: string | null } = {}): Promise<TestClient> {
    const url = http.baseUrl.replace(/^https:/, 'wss:') + '/ws';
    const origin = options.origin === undefined ? http.baseUrl : options.origin;
    const cookie = http.cookieHeader();
    const headers: Record<string, string> = cookie ? { cookie } : {};
    const socket = new WebSocket(url, {
      rejectUnauthorized: false,
      headers,
      ...(origin ? { origin } : {}),
      ...(http.localAddress ? { localAddress: http.localAddress } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => reject(new Error(`HTTP ${res.statusCode} ${body}`)));
      });
      socket.once('error', reject);
    });
  }

  /** Sends any raw text or object and waits for the reply with that id (or the next id-less one). */
  async raw(message: unknown, id?: number): Promise<Reply> {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (id !== undefined) {
      const reply = new Promise<Reply>((resolve) => this.#pending.set(id, resolve));
      this.socket.send(text);
      return reply;
    }
    const before = this.unsolicited.length;
    this.socket.send(text);
    return waitFor(() => this.unsolicited[before]);
  }

  /** Sends a request; resolves with the full reply (ok or error). */
  send<M extends MethodName>(method: M, params: Params<M>): Promise<Reply>;
  send(method: string, params: unknown): Promise<Reply>;
  send(method: string, params: unknown): Promise<Reply> {
    const id = this.#nextId++;
    return this.raw({ id, method, params }, id);
  }

  /** Sends a request that must succeed. */
  async request<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const reply = await this.send(method, params);
    if (!reply.ok) throw new Error(`${method} failed: ${reply.error?.code} ${reply.error?.message}`);
    return reply.result as Result<M>;
  }

  /**
   * Joins a meeting (must succeed: joined or waiting), declaring that this client encrypts end to
   * end unless `e2ee: false`.
   */
  join(meetingId: string, options: { e2ee?: boolean } = {}): Promise<Result<'join'>> {
    return this.request('join', { meetingId, e2ee: options.e2ee ?? true });
  }

  /** Tries to join; resolves with the full reply (ok or error). */
  tryJoin(meetingId: string, options: { e2ee?: boolean } = {}): Promise<Reply> {
    return this.send('join', { meetingId, e2ee: options.e2ee ?? true });
  }

  /**
   * The waiting room as this (host) client knows it now: the last full list, then the deltas.
   */
  waitingRoom(): WaitingEntry[] {
    let list: WaitingEntry[] = [];
    for (const n of this.notifications) {
      if (n.notification === 'waitingRoomChanged') list = [...(n.params.waiting as WaitingEntry[])];
      else if (n.notification === 'waitingAdded') list.push(n.params.entry as WaitingEntry);
      else if (n.notification === 'waitingRemoved') list = list.filter((w) => w.id !== n.params.waitingId);
    }
    return list;
  }

  waitForNotification(name: NotificationName, timeoutMs = 5000): Promise<Record<string, unknown>> {
    return waitFor(() => this.notifications.find((n) => n.notification === name)?.params, timeoutMs);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** Joins `meetingId` on `client` and, if it has to wait, has `host` admit it: the participant id. */
export async function joinAdmitted(client: TestClient, meetingId: string, host: TestClient): Promise<string> {
  const r = await client.join(meetingId);
  if (r.status === 'joined') return r.meeting.self.id;
  await host.request('admit', { waitingId: r.waitingId });
  const note = await client.waitForNotification('admitted');
  return (note.meeting as { self: { id: string } }).self.id;
}

/** How many `notification`s `client` has received. */
export const count = (client: TestClient, notification: NotificationName) => client.notifications.filter((n) => n.notification === notification).length;
/** Lets anything in flight arrive before checking that it did not. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

/**
 * Meetings titled `title` on `server()` (read when used, so it may start in `beforeAll`), owned
 * and hosted by `owner`; everyone is an account the server signed in at start (`signIn`).
 */
export function meetingsOn(server: () => TestServer, owner: string, title: string) {
  const connect = (name: string) => TestClient.connect(server().http[name]!);
  return {
    connect,
    /** A meeting with `owner` inside as its host, then each of `guests` (who must get in at once). */
    async hosted(policy: MeetingPolicyPatch = {}, guests: readonly string[] = []) {
      const meetingId = server().createMeeting(title, { ownerId: server().recinto.auth.accounts.byUsername(owner)!.id, policy });
      const people: Record<string, { client: TestClient; id: string }> = {};
      for (const name of [owner, ...guests]) {
        const client = await connect(name);
        const joined = await client.join(meetingId);
        if (joined.status !== 'joined') throw new Error(`${name} should be inside`);
        people[name] = { client, id: joined.meeting.self.id };
      }
      const close = () => Promise.all(Object.values(people).map((p) => p.client.close()));
      return { meetingId, people, host: people[owner]!.client, close };
    },
    /** Joins as `name` and, if waiting, gets admitted by `host`; returns the participant id. */
    async admitted(name: string, meetingId: string, host: TestClient): Promise<{ client: TestClient; id: string }> {
      const client = await connect(name);
      return { client, id: await joinAdmitted(client, meetingId, host) };
    },
    live: (meetingId: string) => server().recinto.meetings.find(meetingId)!,
  };
}
