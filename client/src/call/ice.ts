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

  close(): void {
    window.removeEventListener('online', this.#onNetworkChange);
    networkInformation()?.removeEventListener('change', this.#onNetworkChange);
  }
}

/** The Network Information API where the browser has it (Chromium), else nothing. */
function networkInformation(): EventTarget | undefined {
  return (navigator as Navigator & { connection?: EventTarget }).connection;
}
