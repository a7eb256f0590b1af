/**
 * A pool of mediasoup workers (C++ processes), one per core by default. Each worker has one
 * WebRtcServer, so the whole SFU listens on one UDP and one TCP port per worker (easy to open in
 * a firewall). A worker that dies is logged and replaced on the same ports; routers it hosted
 * close, and their owners (meetings) tell participants to reconnect.
 */
import { EventEmitter } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { SfuRoom } from './media-room.ts';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { MEDIA_CODECS } from './codecs.ts';

export interface WorkerSlot {
  readonly index: number;
  worker: types.Worker;
  /** When this worker process started (ms since the epoch). */
  readonly startedAt: number;
  webRtcServer: types.WebRtcServer;
  routers: number;
  /** Producers and consumers on this worker's routers now (kept by mediasoup's observers). */
  producers: number;
  consumers: number;
}

type PoolEvents = { workerDied: [index: number, error: Error]; workerReplaced: [index: number] };

export class WorkerPool extends EventEmitter<PoolEvents> {
  readonly #config: Config['media'];
  readonly #log: Logger;
  readonly #slots: WorkerSlot[] = [];
  #closed = false;

  private constructor(config: Config['media'], log: Logger) {
    super();
    this.#config = config;
    this.#log = log;
  }

  static async start(config: Config['media'], log: Logger): Promise<WorkerPool> {
    assertWorkerBinary(resolveWorkerBin(config));
    const pool = new WorkerPool(config, log);
    const count = config.workers || availableParallelism();
    try {
      for (let i = 0; i < count; i++) pool.#slots.push(await pool.#startSlot(i));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Workers whose process is running. */
  get alive(): number {
    return this.#slots.filter((s) => !s.worker.closed && !s.worker.died).length;
  }

  /** The worker slots (read-only view, for health checks and tests). */
  get slots(): readonly WorkerSlot[] {
    return this.#slots;
  }

  /** A new router on the least-loaded live worker, with the WebRtcServer to attach transports to. */
  async createRouter(appData: Record<string, unknown> = {}): Promise<{ router: types.Router; webRtcServer: types.WebRtcServer }> {
    const live = this.#slots.filter((s) => !s.worker.closed && !s.worker.died);
    if (live.length === 0) throw new Error('no live media worker');
    const slot = live.reduce((a, b) => (b.routers < a.routers ? b : a));
    const router = await slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS, appData });
    slot.routers++;
    router.observer.once('close', () => slot.routers--);
    countMedia(slot, router);
    return { router, webRtcServer: slot.webRtcServer };
  }

  /** A room for one meeting on the least-loaded worker. */
  async createRoom(appData: Record<string, unknown> = {}): Promise<SfuRoom> {
    const { router, webRtcServer } = await this.createRouter(appData);
    return new SfuRoom(router, webRtcServer);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const slot of this.#slots) slot.worker.close();
  }

  async #startSlot(index: number): Promise<WorkerSlot> {
    const c = this.#config;
    const worker = await mediasoup.createWorker({
      logLevel: c.logLevel,
      rtcMinPort: c.rtcMinPort,
      rtcMaxPort: c.rtcMaxPort,
      workerBin: resolveWorkerBin(c),
      appData: { index },
    });
    try {
      const announcedAddress = c.announcedAddress || (c.listenIp === '0.0.0.0' || c.listenIp === '::' ? '127.0.0.1' : undefined);
      const listen = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
        protocol,
        ip: c.listenIp,
        ...(announcedAddress ? { announcedAddress } : {}),
        ...(c.rtcPort ? { port: c.rtcPort + index } : { portRange: { min: c.rtcMinPort, max: c.rtcMaxPort } }),
      });
      const webRtcServer = await worker.createWebRtcServer({ listenInfos: [listen('udp'), listen('tcp')] });
      const slot: WorkerSlot = { index, worker, startedAt: Date.now(), webRtcServer, routers: 0, producers: 0, consumers: 0 };
      worker.on('died', (error) => this.#onDied(slot, error));
      this.#log.info({ worker: index, pid: worker.pid, ports: c.rtcPort ? c.rtcPort + index : 'auto' }, 'media worker started');
      return slot;
    } catch (error) {
      worker.close();
      throw error;
    }
  }

  #onDied(slot: WorkerSlot, error: Error): void {
    this.#log.error({ worker: slot.index, pid: slot.worker.pid, err: error }, 'media worker died; replacing it');
    slot.routers = 0;
    this.emit('workerDied', slot.index, error);
    void this.#replace(slot);
  }

  async #replace(slot: WorkerSlot, attempt = 1): Promise<void> {
    if (this.#closed) return;
    try {
      const fresh = await this.#startSlot(slot.index);
      if (this.#closed) {
        fresh.worker.close();
        return;
      }
      this.#slots[slot.index] = fresh;
      this.emit('workerReplaced', slot.index);
    } catch (error) {
      const delay = Math.min(30_000, 250 * 2 ** attempt);
      this.#log.error({ worker: slot.index, err: error, retryInMs: delay }, 'could not replace media worker');
      setTimeout(() => void this.#replace(slot, attempt + 1), delay).unref();
    }
  }
}

/**
 * Keeps the slot's producer and consumer counts as mediasoup creates and closes them (closing a
 * router or transport closes what is on it, and says so to each object's observer).
 */
function countMedia(slot: WorkerSlot, router: types.Router): void {
  router.observer.on('newtransport', (transport) => {
    transport.observer.on('newproducer', (producer) => {
      slot.producers++;
      producer.observer.once('close', () => slot.producers--);
    });
    transport.observer.on('newconsumer', (consumer) => {
      slot.consumers++;
      consumer.observer.once('close', () => slot.consumers--);
    });
  });
}

/** media.workerBin, else MEDIASOUP_WORKER_BIN, else the binary inside the mediasoup package. */
export function resolveWorkerBin(config: Config['media']): string {
  return config.workerBin || process.env.MEDIASOUP_WORKER_BIN || mediasoup.workerBin;
}

export class WorkerBinaryMissingError extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`mediasoup worker binary not found or not executable: ${path} (run ./recinto setup, or set MEDIASOUP_WORKER_BIN or media.workerBin)`);
    this.name = 'WorkerBinaryMissingError';
    this.path = path;
  }
}

function assertWorkerBinary(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new WorkerBinaryMissingError(path);
  }
}
