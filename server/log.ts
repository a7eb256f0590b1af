import { pino, type Logger } from 'pino';
import type { Config } from './config/schema.ts';

/** JSON logs on stdout. Tokens, cookies and authorization headers are never written. */
export function createLogger(config: Pick<Config, 'log'>): Logger {
  return pino({
    level: config.log.level,
    base: { service: 'recinto' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'token', '*.token', 'params.token'],
      censor: '[redacted]',
    },
  });
}
