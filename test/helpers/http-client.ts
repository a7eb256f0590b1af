/** An HTTPS client for tests that behaves like one browser tab: one cookie jar, same Origin. */
import { Agent, request } from 'node:https';
import { GUEST_COOKIE } from '../../server/auth/guest-sessions.ts';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';

export interface HttpReply<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

const agent = new Agent({ rejectUnauthorized: false, keepAlive: false });

export class HttpClient {
  readonly baseUrl: string;
  /** The session cookie's value, as the browser would hold it. */
  session: string | undefined;
  /** The guest session cookie's value, if this browser entered a meeting as a guest. */
  guestSession: string | undefined;
  csrfToken: string | undefined;
  origin: string | null;
  /** The loopback address this browser's requests come from (e.g. 127.0.0.7): another "machine". */
  readonly localAddress: string | undefined;

  constructor(baseUrl: string, options: { origin?: string | null; localAddress?: string } = {}) {
    this.baseUrl = baseUrl;
    this.origin = options.origin === undefined ? baseUrl : options.origin;
    this.localAddress = options.localAddress;
  }

  /** The Cookie header this browser sends (both kinds of session, when held). */
  cookieHeader(): string | undefined {
    const pairs = [this.session && `${SESSION_COOKIE}=${this.session}`, this.guestSession && `${GUEST_COOKIE}=${this.guestSession}`].filter(Boolean);
    return pairs.length ? pairs.join('; ') : undefined;
  }

  get(path: string): Promise<HttpReply> {
    return this.send('GET', path);
  }

  post(path: string, body?: unknown, options: { csrf?: boolean; raw?: Buffer | string; contentType?: string } = {}): Promise<HttpReply> {
    return this.send('POST', path, body, options);
  }

  async send(method: string, path: string, body?: unknown, options: { csrf?: boolean; raw?: Buffer | string; contentType?: string } = {}): Promise<HttpReply> {
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (this.origin) headers.origin = this.origin;
    const cookie = this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    if ((options.csrf ?? true) && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    const reply = await new Promise<HttpReply<string>>((resolve, reject) => {
      const req = request(this.baseUrl + path, { method, headers, agent, ...(this.localAddress ? { localAddress: this.localAddress } : {}) }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
    for (const line of ([] as string[]).concat(reply.headers['set-cookie'] ?? [])) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (name === SESSION_COOKIE) this.session = value || undefined;
      if (name === GUEST_COOKIE) this.guestSession = value || undefined;
    }
    const parsed = reply.body && String(reply.headers['content-type']).startsWith('application/json') ? JSON.parse(reply.body) : reply.body;
    if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed) this.csrfToken = parsed.csrfToken as string;
    return { ...reply, body: parsed };
  }
}
