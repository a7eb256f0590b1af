/**
 * Which origins are this server's own. The Host header is chosen by whoever sends the request,
 * so it never decides this: with `server.publicUrl` set that address is the only origin; without
 * it, only the names the listener actually answers to (loopback, the machine's name and interface
 * addresses, a specific `server.host`) on the listening port. Used by the CSRF check of
 * state-changing requests, the WebSocket handshake, and the links the server hands out.
 */
import type { FastifyRequest } from 'fastify';
import { hostname, networkInterfaces } from 'node:os';
import type { Config } from '../config/schema.ts';

/** Addresses that mean "every interface": not a name anyone reaches the server by. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

export interface OriginPolicyOptions {
  /** The listening port; undefined until the server listens (port 0 is only known then). */
  port: () => number | undefined;
  /** The machine's own names (default: os.hostname() and os.networkInterfaces()); for tests. */
  machineNames?: () => string[];
}

export class OriginPolicy {
  readonly #publicUrl: string;
  readonly #host: string;
  readonly #port: () => number | undefined;
  readonly #machineNames: () => string[];
  #accepted: ReadonlySet<string> | undefined;

  constructor(server: Pick<Config['server'], 'host' | 'publicUrl'>, options: OriginPolicyOptions) {
    this.#publicUrl = server.publicUrl;
    this.#host = server.host;
    this.#port = options.port;
    this.#machineNames = options.machineNames ?? ownMachineNames;
  }

  /**
   * The accepted origins, serialized as browsers send them (lowercase, IPv6 compressed and in
   * brackets, no `:443`). Computed once, at first use after listen: interface addresses that
   * appear later are not accepted until a restart (set `server.publicUrl` for a stable name).
   */
  accepted(): ReadonlySet<string> {
    if (this.#accepted) return this.#accepted;
    if (this.#publicUrl) return (this.#accepted = new Set([serialize(this.#publicUrl)].filter((o) => o !== undefined)));
    const port = this.#port();
    // Before listen no request can arrive; refuse everything rather than cache a portless set.
    if (port === undefined) return new Set();
    const names = ['localhost', '127.0.0.1', '::1', ...this.#machineNames()];
    if (!WILDCARD_HOSTS.has(this.#host)) names.push(this.#host);
    const origins = names.map((name) => serialize(`https://${bracketed(name)}:${port}`)).filter((o) => o !== undefined);
    return (this.#accepted = new Set(origins));
  }

  /** The request's Origin is one of this server's own (a missing Origin is refused). */
  accepts(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    return typeof origin === 'string' && this.accepted().has(origin);
  }

  /**
   * The origin to put in links handed out (invitations, calendar entries): publicUrl; else the
   * address the request came to, but only when it is one of the accepted origins; else localhost.
   */
  publicOrigin(request: FastifyRequest): string {
    if (this.#publicUrl) return this.#publicUrl;
    const host = request.headers.host;
    const fromHost = host ? serialize(`https://${host}`) : undefined;
    if (fromHost && this.accepted().has(fromHost)) return fromHost;
    return serialize(`https://localhost:${this.#port() ?? 443}`)!;
  }
}

/** The origin of a URL as the WHATWG serializer (and so a browser) writes it; undefined if invalid. */
function serialize(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    // A Host header with a path, credentials or query is not a host: refuse it, do not trim it.
    if (parsed.username || parsed.password || parsed.pathname !== '/' || parsed.search || parsed.hash) return undefined;
    return parsed.origin;
  } catch {
    return undefined;
  }
}

/** IPv6 literals go in brackets in a URL; names and IPv4 addresses as they are. */
function bracketed(name: string): string {
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
}

function ownMachineNames(): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  // Link-local IPv6 needs a zone id, which URLs cannot carry: no browser reaches us by one.
  return [hostname(), ...addresses.filter((a) => !(a.family === 'IPv6' && a.scopeid)).map((a) => a.address)];
}
