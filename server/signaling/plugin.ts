/**
 * The signalling endpoint: WebSocket at /ws. Browsers always send Origin on a WebSocket
 * handshake; only this server's own origin is accepted, so another site cannot drive a
 * participant's session (cross-site WebSocket hijacking).
 */
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { RecintoApp } from '../app.ts';
import { SignalingConnection } from './connection.ts';
import type { Services } from './context.ts';

export interface SignalingHandle {
  connections: Set<SignalingConnection>;
}

export async function registerSignaling(app: RecintoApp, services: Services): Promise<SignalingHandle> {
  const connections = new Set<SignalingConnection>();
  await app.register(websocket, {
    // Hard cap: beyond this ws closes the socket (1009). Up to it, oversize messages get a
    // MESSAGE_TOO_LARGE error and the connection stays usable.
    options: { maxPayload: services.config.signaling.maxMessageBytes * 4 },
  });
  app.get('/ws', {
    websocket: true,
    preValidation: async (request, reply) => {
      if (!originAllowed(request, services.config.server.publicUrl)) {
        services.audit({ action: 'signaling.connect', outcome: 'denied', detail: { reason: 'origin', origin: request.headers.origin ?? null, ip: request.ip } });
        await reply.code(403).send({ error: 'FORBIDDEN_ORIGIN' });
      }
    },
  }, (socket, request) => {
    const connection = new SignalingConnection(socket, services, request.ip);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  return { connections };
}

function originAllowed(request: FastifyRequest, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  if (publicUrl) return origin === publicUrl;
  const host = request.headers.host;
  return host !== undefined && origin === `https://${host}`;
}
