/**
 * DOM side: the join form, call controls, local preview, the remote grid (a list, one tile per
 * participant labelled with the display name) and the live status region. Names coming from the
 * server are only ever set as text (textContent / aria-label), never parsed as HTML.
 */
import type { CallState, CallView, MediaKind } from './call.ts';
import { errorText, getLang, LANGS, setLang, t, type AnyErrorCode, type Lang, type MessageKey } from './i18n.ts';

function el<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

export type JoinFormValues = { token: string; displayName: string };

export class UI implements CallView {
  readonly joinView = el<HTMLElement>('join-view');
  readonly callView = el<HTMLElement>('call-view');
  readonly joinForm = el<HTMLFormElement>('join-form');
  readonly joinButton = el<HTMLButtonElement>('join-button');
  readonly tokenRow = el<HTMLElement>('token-row');
  readonly tokenInput = el<HTMLInputElement>('token-input');
  readonly nameInput = el<HTMLInputElement>('name-input');
  readonly langSelect = el<HTMLSelectElement>('lang-select');
  readonly micButton = el<HTMLButtonElement>('mic-button');
  readonly cameraButton = el<HTMLButtonElement>('camera-button');
  readonly leaveButton = el<HTMLButtonElement>('leave-button');
  readonly localVideo = el<HTMLVideoElement>('local-video');
  readonly grid = el<HTMLUListElement>('remote-grid');
  readonly statusEl = el<HTMLElement>('status');
  readonly errorEl = el<HTMLElement>('error');
  readonly meetingIdEl = el<HTMLElement>('meeting-id');

  #micMuted = false;
  #cameraOff = false;
  #lastStatus: { key: MessageKey; vars: Record<string, string> } | null = null;
  #lastError: string | null = null;
  readonly #tiles = new Map<string, HTMLLIElement>();

  constructor() {
    this.langSelect.value = getLang();
    this.langSelect.addEventListener('change', () => {
      const v = this.langSelect.value;
      if ((LANGS as readonly string[]).includes(v)) {
        setLang(v as Lang);
        this.applyTranslations();
      }
    });
  }

  /** Re-renders every translated text in the current language. */
  applyTranslations(): void {
    document.title = t('appTitle');
    for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
      node.textContent = t(node.dataset['i18n'] as MessageKey);
    }
    for (const node of document.querySelectorAll<HTMLElement>('[data-i18n-aria]')) {
      node.setAttribute('aria-label', t(node.dataset['i18nAria'] as MessageKey));
    }
    this.#renderToggles();
    if (this.#lastStatus) this.statusEl.textContent = t(this.#lastStatus.key, this.#lastStatus.vars);
    if (this.#lastError) this.errorEl.textContent = `${t('errorPrefix')} ${errorText(this.#lastError)}`;
  }

  setMeetingId(id: string | null): void {
    this.meetingIdEl.textContent = id ?? '';
  }

  /** Shows the token field (when the link carried no `#token=`). */
  showTokenField(show: boolean): void {
    this.tokenRow.hidden = !show;
  }

  readJoinForm(): JoinFormValues {
    return { token: this.tokenInput.value.trim(), displayName: this.nameInput.value.trim() };
  }

  setState(state: CallState, errorCode: AnyErrorCode | null): void {
    document.body.dataset['state'] = state;
    const inCall = state === 'joined' || state === 'joining';
    this.callView.hidden = !inCall;
    this.joinView.hidden = inCall;
    this.joinButton.disabled = state === 'joining';
    this.micButton.disabled = state !== 'joined';
    this.cameraButton.disabled = state !== 'joined';
    if (errorCode) this.showError(errorCode);
    else if (state === 'joining' || state === 'joined') this.showError(null);
  }

  showError(code: string | null): void {
    this.#lastError = code;
    this.errorEl.textContent = code ? `${t('errorPrefix')} ${errorText(code)}` : '';
  }

  status(key: MessageKey, vars: Record<string, string> = {}): void {
    this.#lastStatus = { key, vars };
    this.statusEl.textContent = t(key, vars);
  }

  showLocal(stream: MediaStream | null): void {
    this.localVideo.srcObject = stream;
    if (stream) void this.localVideo.play().catch(() => {});
  }

  addParticipant(id: string, displayName: string): void {
    if (this.#tiles.has(id)) return;
    const li = document.createElement('li');
    li.className = 'tile remote no-video';
    li.dataset['participantId'] = id;
    li.dataset['initial'] = [...displayName][0]?.toUpperCase() ?? '?';
    li.setAttribute('aria-label', displayName);
    const name = document.createElement('span');
    name.className = 'name';
    name.setAttribute('aria-hidden', 'true');
    name.textContent = displayName;
    li.append(name);
    this.grid.append(li);
    this.#tiles.set(id, li);
  }

  removeParticipant(id: string): void {
    const li = this.#tiles.get(id);
    if (!li) return;
    for (const m of li.querySelectorAll<HTMLMediaElement>('video, audio')) m.srcObject = null;
    li.remove();
    this.#tiles.delete(id);
  }

  addTrack(participantId: string, consumerId: string, kind: MediaKind, track: MediaStreamTrack): void {
    const li = this.#tiles.get(participantId);
    if (!li) return;
    const media = document.createElement(kind === 'video' ? 'video' : 'audio');
    media.dataset['consumerId'] = consumerId;
    media.autoplay = true;
    if (media instanceof HTMLVideoElement) {
      media.playsInline = true;
      media.muted = true; // sound comes from the <audio> element
      li.classList.remove('no-video');
      li.prepend(media);
    } else {
      media.hidden = true;
      li.append(media);
    }
    media.srcObject = new MediaStream([track]);
    void media.play().catch((err: unknown) => console.warn('[ui] play() refused', err));
  }

  removeTrack(participantId: string, consumerId: string): void {
    const li = this.#tiles.get(participantId);
    const media = li?.querySelector<HTMLMediaElement>(`[data-consumer-id="${CSS.escape(consumerId)}"]`);
    if (!li || !media) return;
    media.srcObject = null;
    media.remove();
    if (!li.querySelector('video')) li.classList.add('no-video');
  }

  clearRemote(): void {
    for (const id of [...this.#tiles.keys()]) this.removeParticipant(id);
  }

  setMicMuted(muted: boolean): void {
    this.#micMuted = muted;
    this.#renderToggles();
  }

  setCameraOff(off: boolean): void {
    this.#cameraOff = off;
    this.#renderToggles();
  }

  #renderToggles(): void {
    this.micButton.textContent = t(this.#micMuted ? 'unmuteMic' : 'muteMic');
    this.micButton.classList.toggle('off', this.#micMuted);
    this.cameraButton.textContent = t(this.#cameraOff ? 'startCamera' : 'stopCamera');
    this.cameraButton.classList.toggle('off', this.#cameraOff);
  }
}
