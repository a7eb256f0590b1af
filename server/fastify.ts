/** The Fastify instance type every route plugin receives: HTTPS server, pino logger. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

export type RecintoApp = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>;
