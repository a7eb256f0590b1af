/**
 * Who may scrape `/metrics`: with `metrics.token` set, a request carrying
 * `Authorization: Bearer <token>` (compared in constant time), from any address; without a token,
 * only a request from a loopback address (the TCP peer itself, never a forwarded-for header).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface ScrapeRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

export function scrapeAccess(token: string): (request: ScrapeRequest) => boolean {
  if (!token) return (request) => isLoopback(request.socket.remoteAddress);
  // Digests of equal length: neither the token's length nor its first differing byte shows in the time taken.
  const expected = digest(token);
  return (request) => {
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!), expected);
  };
}

/** 127.0.0.0/8, ::1, and IPv4 loopback written as IPv6 (::ffff:127.x.x.x). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
