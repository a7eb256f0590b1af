/**
 * Keeps a session's transports connected when the network changes (Wi-Fi to mobile, a VPN, a
 * lost path): on `disconnected` or `failed`, and when the browser says it is online again or its
 * connection changed, the SFU hands new ICE credentials (`restartIce`) and the browser restarts ICE
 * with them, finding a path again — through TURN if that is what is left. At most one restart per
 * transport every two seconds.
 */
import type { IceParameters, Transport } from 'mediasoup-client/types';
import type { Signaling } from '../signaling.ts';
import type { Lifetime } from './lifetime.ts';

const MIN_INTERVAL_MS = 2000;

/** One transport's path to the SFU: the type of its selected local candidate (null while none is selected). */
export type IceRoute = { direction: 'send' | 'recv'; localCandidateType: string | null; protocol: string | null };

export class IceKeeper {
  readonly #sig: Signaling;
  readonly #life: Lifetime;
  readonly #transports: Transport[] = [];
  readonly #lastRestart = new Map<string, number>();
  readonly #onNetworkChange = () => {
    for (const t of this.#transports) void this.restart(t);
  };

  constructor(sig: Signaling, life: Lifetime) {
    this.#sig = sig;
    this.#life = life;
    window.addEventListener('online', this.#onNetworkChange);
    networkInformation()?.addEventListener('change', this.#onNetworkChange);
  }

  watch(transport: Transport): void {
    this.#transports.push(transport);
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') console.warn(`[call] ${transport.direction} transport ICE/DTLS failed; restarting ICE`);
      if (state === 'disconnected' || state === 'failed') void this.restart(transport);
    });
  }

  async restart(transport: Transport): Promise<void> {
    const now = Date.now();
    if (transport.closed || now - (this.#lastRestart.get(transport.id) ?? 0) < MIN_INTERVAL_MS) return;
    this.#lastRestart.set(transport.id, now);
    try {
      const { iceParameters } = await this.#life.live(this.#sig.request('restartIce', { transportId: transport.id }));
      await transport.restartIce({ iceParameters: iceParameters as IceParameters });
    } catch (err) {
      if (!this.#life.closed) console.warn(`[call] ICE restart of the ${transport.direction} transport failed`, err);
    }
  }

  /** Each transport's selected candidate pair, from its statistics. */
  async routes(): Promise<IceRoute[]> {
    return Promise.all(this.#transports.map(async (t) => ({ direction: t.direction, ...selectedLocal(await t.getStats()) })));
  }

  close(): void {
    window.removeEventListener('online', this.#onNetworkChange);
    networkInformation()?.removeEventListener('change', this.#onNetworkChange);
  }
}

/** The Network Information API where the browser has it (Chromium), else nothing. */
function networkInformation(): EventTarget | undefined {
  return (navigator as Navigator & { connection?: EventTarget }).connection;
}

function selectedLocal(report: RTCStatsReport): { localCandidateType: string | null; protocol: string | null } {
  const stats = [...(report.values() as IterableIterator<Record<string, unknown>>)];
  const byId = new Map(stats.map((s) => [s['id'], s]));
  const transport = stats.find((s) => s['type'] === 'transport' && typeof s['selectedCandidatePairId'] === 'string');
  const pair = transport
    ? byId.get(transport['selectedCandidatePairId'])
    : stats.find((s) => s['type'] === 'candidate-pair' && s['nominated'] === true && s['state'] === 'succeeded');
  const local = pair ? byId.get(pair['localCandidateId']) : undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { localCandidateType: text(local?.['candidateType']), protocol: text(local?.['protocol']) };
}
