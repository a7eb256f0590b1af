/**
 * What the rest of the server tells the metrics about, as it happens: an interface of plain
 * callbacks, so the code that reports events (signalling, the HTTP edge) needs no metrics library
 * and tests can pass `NO_METRICS`. Everything else the metrics show is read when scraped.
 */
import type { ErrorCode } from '../../protocol/errors.ts';

export interface MetricsPort {
  /** A request was answered with an error of this code (signalling or HTTP). */
  refused(code: ErrorCode): void;
  /** A `join` was answered `joined` or `waiting`, `seconds` after its message arrived. */
  joinAnswered(status: 'joined' | 'waiting', seconds: number): void;
}

/** Reports nothing. */
export const NO_METRICS: MetricsPort = {
  refused: () => undefined,
  joinAnswered: () => undefined,
};
