/**
 * The video grid: one tile per other participant (camera and sound), one more per shared screen.
 * It watches how each remote video is shown — drawn or hidden, how tall — and reports it
 * (debounced) so the server sends each tile only what it needs (`setReceiveLayers`). The tile of
 * whoever speaks is marked.
 */
import type { MediaKind, Source } from '../call/call.ts';
import { h } from '../dom.ts';

/** How one remote video is shown. */
export type TileView = { consumerId: string; visible: boolean; height: number };

/** Reports wait this long after the last change (scrolling, resizing, tiles coming and going). */
const REPORT_DELAY_MS = 250;

export class VideoGrid {
  readonly element = h('ul', { id: 'remote-grid', class: 'grid', label: 'videoGrid' });
  readonly #tiles = new Map<string, HTMLLIElement>();
  /** Shared screens: a tile of their own each, by consumer id. */
  readonly #screens = new Map<string, { li: HTMLLIElement; participantId: string }>();
  /** Remote videos by consumer id. */
  readonly #videos = new Map<string, HTMLVideoElement>();
  readonly #report: (tiles: TileView[]) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #resize = new ResizeObserver(() => this.#schedule());

  constructor(report: (tiles: TileView[]) => void = () => {}) {
    this.#report = report;
    document.addEventListener('visibilitychange', () => this.#schedule());
  }

  /** Marks whoever speaks now (one at a time). */
  setSpeaker(participantId: string | null): void {
    for (const [id, li] of this.#tiles) li.classList.toggle('speaking', id === participantId);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // Shown = drawn on the page (not hidden, a size) in a tab in the foreground. Scrolled out of
      // view still counts as shown: the call page scrolls, and a person scrolling back must not
      // wait for the picture.
      const tiles = [...this.#videos].map(([consumerId, video]) => {
        const box = video.getBoundingClientRect();
        return { consumerId, visible: !document.hidden && box.width > 0 && box.height > 0, height: box.height * (window.devicePixelRatio || 1) };
      });
      if (tiles.length > 0) this.#report(tiles);
    }, REPORT_DELAY_MS);
  }

  #watch(consumerId: string, video: HTMLVideoElement): void {
    this.#videos.set(consumerId, video);
    this.#resize.observe(video);
  }

  #unwatch(consumerId: string): void {
    const video = this.#videos.get(consumerId);
    if (!video) return;
    this.#resize.unobserve(video);
    this.#videos.delete(consumerId);
  }

  addParticipant(id: string, displayName: string): void {
    if (this.#tiles.has(id)) return;
    const li = h(
      'li',
      {
        class: 'tile remote no-video',
        attrs: { 'aria-label': displayName, 'data-participant-id': id, 'data-initial': [...displayName][0]?.toUpperCase() ?? '?' },
      },
      [h('span', { class: 'name', plain: displayName, attrs: { 'aria-hidden': 'true' } })],
    );
    this.element.append(li);
    this.#tiles.set(id, li);
  }

  removeParticipant(id: string): void {
    for (const [consumerId, screen] of this.#screens) if (screen.participantId === id) this.removeTrack(id, consumerId);
    const li = this.#tiles.get(id);
    if (!li) return;
    for (const m of li.querySelectorAll<HTMLMediaElement>('video, audio')) m.srcObject = null;
    li.remove();
    this.#tiles.delete(id);
  }

  addTrack(participantId: string, consumerId: string, kind: MediaKind, source: Source, track: MediaStreamTrack): void {
    const li = this.#tiles.get(participantId);
    if (!li) return;
    const media = document.createElement(kind === 'video' ? 'video' : 'audio');
    media.dataset['consumerId'] = consumerId;
    media.dataset['source'] = source;
    media.autoplay = true;
    if (media instanceof HTMLVideoElement) {
      media.playsInline = true;
      media.muted = true; // sound comes from the <audio> element
      if (source === 'screen') {
        const name = li.getAttribute('aria-label') ?? '';
        const screen = h('li', { class: 'tile remote screen', label: ['screenOf', { name }], attrs: { 'data-participant-id': participantId } }, [
          media,
          h('span', { class: 'name', text: ['screenOf', { name }], attrs: { 'aria-hidden': 'true' } }),
        ]);
        li.after(screen);
        this.#screens.set(consumerId, { li: screen, participantId });
      } else {
        li.classList.remove('no-video');
        li.prepend(media);
      }
    } else {
      media.hidden = true;
      li.append(media);
    }
    if (media instanceof HTMLVideoElement) this.#watch(consumerId, media);
    media.srcObject = new MediaStream([track]);
    void media.play().catch((err: unknown) => console.warn('[meeting] play() refused', err));
  }

  removeTrack(participantId: string, consumerId: string): void {
    this.#unwatch(consumerId);
    const screen = this.#screens.get(consumerId);
    if (screen) {
      for (const m of screen.li.querySelectorAll<HTMLMediaElement>('video')) m.srcObject = null;
      screen.li.remove();
      this.#screens.delete(consumerId);
      return;
    }
    const li = this.#tiles.get(participantId);
    const media = li?.querySelector<HTMLMediaElement>(`[data-consumer-id="${CSS.escape(consumerId)}"]`);
    if (!li || !media) return;
    media.srcObject = null;
    media.remove();
    if (!li.querySelector('video')) li.classList.add('no-video');
  }

  /** Every tile goes (the call left, failed or re-joins). */
  clear(): void {
    for (const id of [...this.#tiles.keys()]) this.removeParticipant(id);
  }
}
