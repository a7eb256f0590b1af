/**
 * A browser, as far as single sign-on needs one, over plain HTTPS: a cookie jar per host,
 * navigations one at a time (redirects are returned, not followed, so a test can stop at the
 * provider's answer and change or replay it), and form posts. Recinto runs on 127.0.0.1 and the
 * provider on localhost: two sites, as in production.
 */
import { Agent, request } from 'node:https';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import { HttpClient } from './http-client.ts';

export interface Navigation {
  status: number;
  /** The Location header, absolute. */
  location: string | undefined;
  body: string;
  setCookies: string[];
}

const agent = new Agent({ rejectUnauthorized: false, keepAlive: false });

export class SsoBrowser {
  /** host → cookie name → value. */
  readonly jar = new Map<string, Map<string, string>>();

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).hostname)?.get(name);
  }

  async navigate(url: string, form?: Record<string, string>): Promise<Navigation> {
    const target = new URL(url);
    const cookies = [...(this.jar.get(target.hostname) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers: Record<string, string> = {};
    if (cookies) headers.cookie = cookies;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = target.origin;
    }
    const reply = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request(target, { method: form ? 'POST' : 'GET', headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const setCookies = ([] as string[]).concat(reply.headers['set-cookie'] ?? []);
    for (const line of setCookies) this.#store(target.hostname, line);
    const location = typeof reply.headers.location === 'string' ? new URL(reply.headers.location, target).href : undefined;
    return { status: reply.status, location, body: reply.body, setCookies };
  }

  /** Follows redirects from `url` until one leads to `stopAt`'s origin (that URL is returned unvisited) or a page answers. */
  async followUntil(url: string, stopAt: string, form?: Record<string, string>): Promise<{ stoppedAt: string | undefined; last: Navigation }> {
    let next = await this.navigate(url, form);
    for (let hops = 0; hops < 10; hops++) {
      if (!next.location) return { stoppedAt: undefined, last: next };
      if (new URL(next.location).origin === new URL(stopAt).origin) return { stoppedAt: next.location, last: next };
      next = await this.navigate(next.location);
    }
    throw new Error('too many redirects');
  }

  /**
   * From Recinto's "Sign in with…" to the provider's answer: the callback URL the provider sends
   * the browser to (not visited yet). `who`: the person at the provider (sub or username).
   */
  async toCallback(recintoUrl: string, who: string, next?: string): Promise<string> {
    const start = await this.navigate(`${recintoUrl}/api/auth/oidc/start${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    if (start.status !== 302 || !start.location) throw new Error(`start answered ${start.status} ${start.location ?? start.body}`);
    const atIdp = await this.followUntil(start.location, recintoUrl);
    const form = /action="([^"]+)"/.exec(atIdp.last.body)?.[1];
    if (atIdp.stoppedAt || !form)
      throw new Error(`expected the provider's login form, got ${atIdp.last.status} ${atIdp.stoppedAt ?? atIdp.last.body.slice(0, 200)}`);
    const done = await this.followUntil(new URL(form, start.location).href, recintoUrl, { username: who });
    if (!done.stoppedAt) throw new Error(`the provider did not send the browser back: ${done.last.status} ${done.last.body.slice(0, 200)}`);
    return done.stoppedAt;
  }

  /** The whole sign-in: start, the provider, the callback. */
  async signIn(recintoUrl: string, who: string, next?: string): Promise<Navigation> {
    return this.navigate(await this.toCallback(recintoUrl, who, next));
  }

  /** An API client holding this browser's Recinto session (undefined without one). */
  async api(recintoUrl: string): Promise<HttpClient | undefined> {
    const session = this.cookie(recintoUrl, SESSION_COOKIE);
    if (!session) return undefined;
    const client = new HttpClient(recintoUrl);
    client.session = session;
    await client.get('/api/session');
    return client;
  }

  #store(host: string, line: string): void {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    this.jar.set(host, cookies);
    const expired = attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
    if (!value || expired) cookies.delete(name);
    else cookies.set(name, value);
  }
}
