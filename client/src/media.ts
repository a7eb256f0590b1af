/**
 * Local media and per-consumer statistics: the browser-API side of the call, without signalling.
 */
import type { AnyErrorCode } from './errors.ts';
import type { Consumer } from 'mediasoup-client/types';
import type { MediaKind } from './call/types.ts';
import { SignalingError } from './signaling.ts';

/** A remote consumer with what it belongs to. */
export type ConsumerEntry = { consumer: Consumer; participantId: string; producerId: string; kind: MediaKind };

/** One entry of `stats()`: the inbound-rtp figures of one remote consumer. */
export type ConsumerStats = {
  participantId: string;
  consumerId: string;
  producerId: string;
  kind: MediaKind;
  framesDecoded: number;
  bytesReceived: number;
  packetsReceived: number;
  frameWidth: number;
  /** Audio: the energy played out so far (0 while nothing audible was decoded). */
  audioEnergy: number;
};

export function errorCodeOf(err: unknown): AnyErrorCode {
  if (err instanceof SignalingError) return err.code;
  const name = err instanceof Error || err instanceof DOMException ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'MEDIA_DENIED';
    case 'NotFoundError':
    case 'NotReadableError':
    case 'OverconstrainedError':
      return 'MEDIA_UNAVAILABLE';
    case 'UnsupportedError':
      return 'UNSUPPORTED';
    default:
      return 'INTERNAL';
  }
}

/**
 * Camera and microphone (only the microphone when the camera is not allowed); with only one of
 * them present (or one busy), joins with what there is. A refusal (NotAllowedError) is never
 * retried.
 */
export async function getLocalMedia(options: { video: boolean } = { video: true }): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: options.video });
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name !== 'NotFoundError' && name !== 'NotReadableError' && name !== 'OverconstrainedError') throw err;
    for (const constraints of options.video ? [{ audio: true }, { video: true }] : []) {
      try {
        return await navigator.mediaDevices.getUserMedia(constraints);
      } catch {
        // try the other one
      }
    }
    throw err;
  }
}

/** inbound-rtp figures of the given consumers, from `consumer.getStats()`. */
export async function consumerStats(entries: ConsumerEntry[]): Promise<ConsumerStats[]> {
  const out: ConsumerStats[] = [];
  for (const entry of entries) {
    let report: RTCStatsReport;
    try {
      report = await entry.consumer.getStats();
    } catch {
      continue;
    }
    for (const s of report.values() as IterableIterator<Record<string, unknown>>) {
      if (s['type'] !== 'inbound-rtp') continue;
      const num = (k: string) => (typeof s[k] === 'number' ? s[k] : 0);
      out.push({
        participantId: entry.participantId,
        consumerId: entry.consumer.id,
        producerId: entry.producerId,
        kind: entry.kind,
        framesDecoded: num('framesDecoded'),
        bytesReceived: num('bytesReceived'),
        packetsReceived: num('packetsReceived'),
        frameWidth: num('frameWidth'),
        audioEnergy: num('totalAudioEnergy'),
      });
    }
  }
  return out;
}
