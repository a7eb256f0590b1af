/**
 * `/m/<meetingId>`: the call page. Before joining: who you will join as and the "Unirse" button
 * (camera and microphone are only asked for after that click). In the call: the controls, the
 * local preview and the remote grid (a list, one tile per participant labelled with the display
 * name). When the account's session ends, the call stops and the page offers to sign in again.
 */
import { api, type SignedIn } from '../api.ts';
import { Call, type CallState, type CallView, type MediaKind } from '../call.ts';
import { announce, h, showError, translate, type Vars } from '../dom.ts';
import type { AnyErrorCode } from '../errors.ts';
import type { MessageKey } from '../i18n/translate.ts';
import { loginUrl, meetingPath } from '../paths.ts';
import { card, navBar, type ShowView } from './layout.ts';

class MeetingView implements CallView {
  readonly joinForm = h('form', { id: 'join-form' }, [h('button', { id: 'join-button', class: 'primary', text: 'join', attrs: { type: 'submit' } })]);
  readonly joinButton = this.joinForm.querySelector('button')!;
  readonly micButton = h('button', { id: 'mic-button', text: 'muteMic', attrs: { type: 'button' } });
  readonly cameraButton = h('button', { id: 'camera-button', text: 'stopCamera', attrs: { type: 'button' } });
  readonly leaveButton = h('button', { id: 'leave-button', class: 'danger', text: 'leave', attrs: { type: 'button' } });
  readonly localVideo = h('video', { id: 'local-video', attrs: { autoplay: true, playsinline: true, muted: true } });
  readonly grid = h('ul', { id: 'remote-grid', class: 'grid', label: 'participants' });
  readonly signInAgain: HTMLAnchorElement;
  readonly joinPanel: HTMLElement;
  readonly callPanel: HTMLElement;
  readonly #tiles = new Map<string, HTMLLIElement>();

  constructor(meetingId: string | null, displayName: string) {
    this.signInAgain = h('a', { id: 'sign-in-again', class: 'next-step', text: 'signInAgain', hidden: true, attrs: { href: loginUrl(meetingId ? meetingPath(meetingId) : undefined) } });
    this.joinPanel = card('join-heading', 'meeting', [
      h('p', { class: 'meeting-id' }, [h('code', { plain: meetingId ?? '' })]),
      h('p', { text: ['joinAs', { name: displayName }] }),
      this.joinForm,
      this.signInAgain,
    ]);
    this.callPanel = h('section', { id: 'call-view', class: 'call', hidden: true, label: 'meeting' }, [
      h('div', { id: 'controls', class: 'controls', label: 'controls', attrs: { role: 'group' } }, [this.micButton, this.cameraButton, this.leaveButton]),
      h('div', { class: 'stage' }, [
        h('figure', { id: 'local-tile', class: 'tile local', label: 'yourPreview' }, [this.localVideo, h('figcaption', { text: 'you' })]),
        this.grid,
      ]),
    ]);
    // The `muted` attribute alone does not mute a video created by script.
    this.localVideo.muted = true;
  }

  setState(state: CallState, errorCode: AnyErrorCode | null): void {
    document.body.dataset['state'] = state;
    const inCall = state === 'joined' || state === 'joining';
    this.callPanel.hidden = !inCall;
    this.joinPanel.hidden = inCall;
    const sessionEnded = errorCode === 'SESSION_ENDED';
    // Joining again cannot work without a new sign-in; the link is the way forward.
    this.joinButton.disabled = state === 'joining' || sessionEnded;
    this.signInAgain.hidden = !sessionEnded;
    this.micButton.disabled = state !== 'joined';
    this.cameraButton.disabled = state !== 'joined';
    if (errorCode) {
      announce(null); // "You are in the meeting" no longer holds
      showError(errorCode);
    } else if (inCall) showError(null);
  }

  status(key: MessageKey, vars: Vars = {}): void {
    announce([key, vars]);
  }

  showLocal(stream: MediaStream | null): void {
    this.localVideo.srcObject = stream;
    if (stream) void this.localVideo.play().catch(() => {});
  }

  addParticipant(id: string, displayName: string): void {
    if (this.#tiles.has(id)) return;
    const li = h('li', { class: 'tile remote no-video', attrs: { 'aria-label': displayName, 'data-participant-id': id, 'data-initial': [...displayName][0]?.toUpperCase() ?? '?' } }, [
      h('span', { class: 'name', plain: displayName, attrs: { 'aria-hidden': 'true' } }),
    ]);
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
    void media.play().catch((err: unknown) => console.warn('[meeting] play() refused', err));
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

  /** The buttons say what pressing them will do. */
  setMicMuted(muted: boolean): void {
    translate(this.micButton, 'text', muted ? 'unmuteMic' : 'muteMic');
    this.micButton.classList.toggle('off', muted);
  }

  setCameraOff(off: boolean): void {
    translate(this.cameraButton, 'text', off ? 'startCamera' : 'stopCamera');
    this.cameraButton.classList.toggle('off', off);
  }
}

/** The sign-in still allows meetings (checked when the signalling socket was refused). */
async function stillSignedIn(): Promise<boolean> {
  try {
    const session = await api('GET', '/api/session');
    return session.signedIn && session.next === null;
  } catch {
    return true; // the server is unreachable: that is a connection problem, not a sign-out
  }
}

export function showMeeting(show: ShowView, session: SignedIn, meetingId: string | null): Call {
  const view = new MeetingView(meetingId, session.user.displayName);
  const call = new Call(view);
  show('meeting', navBar('meeting'), view.joinPanel, view.callPanel);
  view.setState('idle', null);
  if (!meetingId) {
    showError('NO_MEETING');
    view.joinButton.disabled = true;
    return call;
  }
  announce('statusIdle');
  view.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    void call.join({ wsUrl, meetingId, stillSignedIn });
  });
  view.micButton.addEventListener('click', () => call.toggleMic());
  view.cameraButton.addEventListener('click', () => call.toggleCamera());
  view.leaveButton.addEventListener('click', () => void call.leave());
  window.addEventListener('pagehide', () => {
    if (call.state === 'joined' || call.state === 'joining') void call.leave();
  });
  return call;
}
