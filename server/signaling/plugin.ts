/**
 * The signalling endpoint: WebSocket at /ws, for signed-in accounts only (verified session
 * cookie, password change done). Browsers always send Origin on a WebSocket handshake; only this
 * server's own origin is accepted, so another site cannot drive a participant's session
 * (cross-site WebSocket hijacking). A socket closes when its session ends.
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { RecintoApp } from '../app.ts';
import type { AuthContext, SessionRequirement } from '../auth/routes.ts';
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
  const opened = new WeakMap<FastifyRequest, AuthContext>();
  services.sessions.on('ended', (idHashes) => {
    const ended = new Set(idHashes);
    for (const c of connections) if (ended.has(c.sessionIdHash)) c.endSession();
  });
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
        opened.set(request, requireSession(request));
      } catch (error) {
        if (error instanceof HttpError) {
          services.audit({ action: 'signaling.connect', outcome: 'denied', detail: { reason: error.code, ip: request.ip } });
        }
        throw error;
      }
    },
  }, (socket, request) => {
    const { session, account } = opened.get(request)!;
    const connection = new SignalingConnection(socket, services, {
      remoteAddress: request.ip,
      account: { id: account.id, displayName: account.displayName },
      sessionIdHash: session.idHash,
    });
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  return { connections };
}
