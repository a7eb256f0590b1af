import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/schema.ts';

/**
 * JSON logs on stdout (or `destination`, which tests use to read what was logged). Tokens,
 * cookies and authorization headers are never written.
 */
export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.log.level,
    base: { service: 'recinto' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'token', '*.token', 'params.token'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
