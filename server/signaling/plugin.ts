/**
 * The signalling endpoint: WebSocket at /ws, for signed-in accounts (verified session cookie,
 * password change done) and for guests of one meeting (guest session from its password). Browsers always send Origin on a WebSocket handshake; only this
 * server's own origin is accepted, so another site cannot drive a participant's session
 * (cross-site WebSocket hijacking). A socket closes when its session ends.
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { RecintoApp } from '../fastify.ts';
import { GUEST_COOKIE, guestAccountId } from '../auth/guest-sessions.ts';
import type { AuthContext, SessionRequirement } from '../auth/routes.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { DomainError } from '../errors.ts';
import { SignalingConnection } from './connection.ts';
import { CloseCode } from '../../protocol/close-codes.ts';
import type { Services } from './context.ts';

export interface SignalingHandle {
  connections: Set<SignalingConnection>;
}

export async function registerSignaling(
  app: RecintoApp,
  services: Services,
  requireSession: (request: FastifyRequest, need?: SessionRequirement) => AuthContext,
): Promise<SignalingHandle> {
  const connections = new Set<SignalingConnection>();
  const opened = new WeakMap<FastifyRequest, Opened>();
  const onEnded = (idHashes: string[]) => {
    const ended = new Set(idHashes);
    for (const c of connections) if (ended.has(c.sessionIdHash)) c.endSession();
  };
  services.sessions.on('ended', onEnded);
  services.guests.on('ended', onEnded);
  await app.register(websocket, {
    // Hard cap: beyond this ws closes the socket (1009). Up to it, oversize messages get a
    // MESSAGE_TOO_LARGE error and the connection stays usable.
    options: { maxPayload: services.config.signaling.maxMessageBytes * 4 },
  });
  app.get(
    '/ws',
    {
      websocket: true,
      preValidation: async (request) => {
        if (!services.origins.accepts(request)) {
          services.refusals.record({
            action: 'signaling.connect',
            code: 'CSRF_FAILED',
            ip: request.ip,
            detail: { reason: 'origin', origin: request.headers.origin?.slice(0, 200) ?? null },
          });
          throw new DomainError('CSRF_FAILED', 'cross-origin WebSocket refused');
        }
        try {
          const who = identify(request);
          refuseOverCap(who.account.id, request.ip);
          opened.set(request, who);
        } catch (error) {
          if (error instanceof DomainError) {
            services.refusals.record({ action: 'signaling.connect', code: error.code, ip: request.ip, detail: { reason: error.code } });
          }
          throw error;
        }
      },
    },
    (socket, request) => {
      const who = opened.get(request)!;
      // Checked again now that the socket is open: parallel handshakes all passed the first check.
      try {
        refuseOverCap(who.account.id, request.ip);
      } catch (error) {
        services.metrics.refused('TOO_MANY');
        socket.close(CloseCode.TOO_MANY_CONNECTIONS, (error as Error).message.slice(0, 120));
        return;
      }
      const connection = new SignalingConnection(socket, services, { remoteAddress: request.ip, ...who });
      connections.add(connection);
      socket.once('close', () => connections.delete(connection));
    },
  );

  /** At most `maxConnectionsPerAccount` open sockets per account and `maxConnectionsPerAddress` per address. */
  function refuseOverCap(accountId: string, address: string): void {
    const { maxConnectionsPerAccount, maxConnectionsPerAddress } = services.config.signaling;
    let byAccount = 0;
    let byAddress = 0;
    for (const c of connections) {
      if (c.account.id === accountId) byAccount++;
      if (c.remoteAddress === address) byAddress++;
    }
    if (byAccount >= maxConnectionsPerAccount) throw new DomainError('TOO_MANY', `at most ${maxConnectionsPerAccount} signalling connections per account`);
    if (byAddress >= maxConnectionsPerAddress) throw new DomainError('TOO_MANY', `at most ${maxConnectionsPerAddress} signalling connections per address`);
  }
  /**
   * Staff by a live staff session; otherwise a guest by a live guest session; else refused with
   * the staff rules' answer (an ended staff cookie does not hide a valid guest one).
   */
  function identify(request: FastifyRequest): Opened {
    const staffAlive = services.sessions.lookup(request.cookies[SESSION_COOKIE]) !== undefined;
    const guest = staffAlive ? undefined : services.guests.lookup(request.cookies[GUEST_COOKIE]);
    if (guest) {
      return {
        account: { id: guestAccountId(guest.deviceHash), displayName: guest.displayName, guest: { meetingId: guest.meetingId } },
        sessionIdHash: guest.idHash,
        sessionExpiresAt: guest.expiresAt,
        sessionAlive: () => services.guests.lookupByHash(guest.idHash) !== undefined,
      };
    }
    const { session, account } = requireSession(request);
    return {
      account: { id: account.id, displayName: account.displayName, username: account.username },
      sessionIdHash: session.idHash,
      sessionExpiresAt: session.expiresAt,
      sessionAlive: () => services.sessions.lookupByHash(session.idHash) !== undefined,
    };
  }

  return { connections };
}

type Opened = Omit<ConstructorParameters<typeof SignalingConnection>[2], 'remoteAddress'>;
