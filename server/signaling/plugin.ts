/**
 * The signalling endpoint: WebSocket at /ws, for signed-in accounts (verified session cookie,
 * password change done) and for guests of one meeting (guest session from its password). Browsers always send Origin on a WebSocket handshake; only this
 * server's own origin is accepted, so another site cannot drive a participant's session
 * (cross-site WebSocket hijacking). A socket closes when its session ends.
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { RecintoApp } from '../app.ts';
import { GUEST_COOKIE } from '../auth/guest-sessions.ts';
import type { AuthContext, SessionRequirement } from '../auth/routes.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { sameOrigin } from '../http/hardening.ts';
import { HttpError } from '../http/errors.ts';
import { SignalingConnection } from './connection.ts';
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
  app.get('/ws', {
    websocket: true,
    preValidation: async (request) => {
      if (!sameOrigin(request, services.config.server.publicUrl)) {
        services.audit({ action: 'signaling.connect', outcome: 'denied', detail: { reason: 'origin', origin: request.headers.origin ?? null, ip: request.ip } });
        throw new HttpError(403, 'CSRF_FAILED', 'cross-origin WebSocket refused');
      }
      try {
        opened.set(request, identify(request));
      } catch (error) {
        if (error instanceof HttpError) {
          services.audit({ action: 'signaling.connect', outcome: 'denied', detail: { reason: error.code, ip: request.ip } });
        }
        throw error;
      }
    },
  }, (socket, request) => {
    const connection = new SignalingConnection(socket, services, { remoteAddress: request.ip, ...opened.get(request)! });
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  /**
   * Staff by a live staff session; otherwise a guest by a live guest session; else refused with
   * the staff rules' answer (an ended staff cookie does not hide a valid guest one).
   */
  function identify(request: FastifyRequest): Opened {
    const staffAlive = services.sessions.lookup(request.cookies[SESSION_COOKIE]) !== undefined;
    const guest = staffAlive ? undefined : services.guests.lookup(request.cookies[GUEST_COOKIE]);
    if (guest) {
      return {
        account: { id: `guest:${guest.deviceHash.slice(0, 24)}`, displayName: guest.displayName, guest: { meetingId: guest.meetingId } },
        sessionIdHash: guest.idHash,
        sessionAlive: () => services.guests.lookupByHash(guest.idHash) !== undefined,
      };
    }
    const { session, account } = requireSession(request);
    return {
      account: { id: account.id, displayName: account.displayName },
      sessionIdHash: session.idHash,
      sessionAlive: () => services.sessions.lookupByHash(session.idHash) !== undefined,
    };
  }

  return { connections };
}

type Opened = Omit<ConstructorParameters<typeof SignalingConnection>[2], 'remoteAddress'>;
