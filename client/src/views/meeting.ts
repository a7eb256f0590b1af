/**
 * `/m/<meetingId>`: the call page. Before joining: who you will join as and the "Unirse" button
 * (camera and microphone are only asked for after that click, and only once inside the meeting).
 * Without a sign-in: the guest form (name and meeting password; its "Unirse" opens a guest session
 * and joins, always into the waiting room) and a link for staff to sign in instead.
 * In the waiting room: why you wait, and a way out; camera and microphone stay off. In the call:
 * own controls (microphone, camera, screen, leave), notices from hosts, the host toolbar for hosts
 * and co-hosts, the local preview and the video grid (one tile per participant labelled with the
 * display name, one more per shared screen), and the side panels: participants (with host
 * menus), the waiting room (hosts), chat. When the account's session (or a guest's access) ends,
 * or the meeting ends for this person (denied, removed, banned, ended by a host), everything stops
 * and the page says why. Opening the page (signed in, or as a guest): meeting-entry.ts.
 */
import { E2eeBadge } from './e2ee-badge.ts';
import { Call, type CallState, type CallView, type MediaKind, type Source } from '../call/call.ts';
import { browserSupport } from './browser-support.ts';
import { announce, h, showAlert, showError, translate, type Vars } from '../dom.ts';
import type { AnyErrorCode } from '../errors.ts';
import { errorKey, type MessageKey } from '../i18n/translate.ts';
import { errorCodeOf } from '../media.ts';
import type { ChatMessage, HostAction } from '../call/meeting-state.ts';
import { loginUrl, meetingPath } from '../paths.ts';
import { ChatPanel } from './chat.ts';
import { ask } from './dialog.ts';
import { HostNotice } from './host-notice.ts';
import { HostToolbar, ParticipantsPanel, WaitingRoomPanel, type Act } from './host-panels.ts';
import { card, field, section } from './layout.ts';
import { VideoGrid } from './video-grid.ts';

/** Who is on the page: a signed-in account, or someone who enters as a guest with the meeting password. */
export type Who = { guest: false; displayName: string } | { guest: true };

/** Shows what went wrong with a call action in the alert region. */
function reportCallError(err: unknown): void {
  const code = errorCodeOf(err);
  if (code === 'INTERNAL') console.error('[meeting]', err);
  announce(null);
  showError(code);
}

export class MeetingView implements CallView {
  readonly call: Call;
  readonly joinButton = h('button', { id: 'join-button', class: 'primary', text: 'join', attrs: { type: 'submit' } });
  readonly joinForm: HTMLFormElement;
  /** Guests only: their name and the meeting password, sent with each "Unirse". */
  readonly guestName = h('input', {
    id: 'guest-name',
    attrs: { type: 'text', name: 'displayName', autocomplete: 'name', maxlength: '64', required: true, 'data-autofocus': true },
  });
  readonly guestPassword = h('input', {
    id: 'guest-password',
    attrs: { type: 'password', name: 'meetingPassword', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '64', required: true },
  });
  readonly guest: boolean;
  readonly micButton = h('button', { id: 'mic-button', text: 'muteMic', attrs: { type: 'button' } });
  readonly micHint = h('p', { id: 'mic-hint', class: 'hint', text: 'micHostMutedHint', hidden: true });
  readonly cameraButton = h('button', { id: 'camera-button', text: 'stopCamera', attrs: { type: 'button' } });
  readonly cameraHint = h('p', { id: 'camera-hint', class: 'hint', text: 'cameraForbiddenHint', hidden: true });
  readonly screenButton = h('button', { id: 'screen-button', text: 'shareScreen', attrs: { type: 'button' }, hidden: true });
  readonly leaveButton = h('button', { id: 'leave-button', class: 'danger', text: 'leave', attrs: { type: 'button' } });
  readonly cancelWaiting = h('button', { id: 'cancel-waiting', text: 'cancelWaiting', attrs: { type: 'button' } });
  readonly waitingText = h('p', { id: 'waiting-text', text: 'waitingRoomText' });
  readonly notice = new HostNotice();
  readonly title = h('h1', { id: 'meeting-title', class: 'meeting-title', attrs: { tabindex: '-1', dir: 'auto' } });
  readonly e2eeBadge = new E2eeBadge();
  readonly lockedBadge = h('span', { id: 'locked-badge', class: 'badge warning', text: 'lockedBadge', hidden: true });
  readonly localVideo = h('video', { id: 'local-video', attrs: { autoplay: true, playsinline: true, muted: true } });
  readonly grid = new VideoGrid((tiles) => void this.call.showTiles(tiles).catch((err: unknown) => console.warn('[meeting] tile views not sent', err)));
  readonly signInAgain: HTMLAnchorElement;
  readonly joinPanel: HTMLElement;
  /** Which browsers can join, under the refusal of one that cannot. */
  readonly support = browserSupport();
  readonly waitingPanel: HTMLElement;
  readonly callPanel: HTMLElement;
  readonly toolbar: HostToolbar;
  readonly participants: ParticipantsPanel;
  readonly waitingRoom: WaitingRoomPanel;
  readonly chat: ChatPanel;

  constructor(meetingId: string | null, who: Who) {
    this.call = new Call(this);
    this.guest = who.guest;
    const act = this.act;
    this.toolbar = new HostToolbar(this.call, act);
    this.participants = new ParticipantsPanel(this.call, act);
    this.waitingRoom = new WaitingRoomPanel(this.call, act);
    this.chat = new ChatPanel((text, to) =>
      this.call.sendChat(text, to).catch((err: unknown) => {
        reportCallError(err);
        throw err;
      }),
    );

    const signIn = loginUrl(meetingId ? meetingPath(meetingId) : undefined);
    this.signInAgain = h('a', { id: 'sign-in-again', class: 'next-step', text: 'signInAgain', hidden: true, attrs: { href: signIn } });
    const meetingIdLine = h('p', { class: 'meeting-id' }, [h('code', { plain: meetingId ?? '' })]);
    if (who.guest) {
      this.joinForm = h('form', { id: 'join-form', attrs: { 'aria-labelledby': 'guest-heading' } }, [
        h('p', { text: 'guestIntro' }),
        field(this.guestName, 'guestNameLabel', 'guestNameHint'),
        field(this.guestPassword, 'meetingPasswordLabel'),
        this.joinButton,
      ]);
      this.joinPanel = card('join-heading', 'meeting', [
        meetingIdLine,
        section('guest-heading', 'guestHeading', [this.joinForm]),
        h('p', { class: 'next-step' }, [h('a', { id: 'staff-sign-in', text: 'staffSignIn', attrs: { href: signIn } })]),
        this.support,
      ]);
    } else {
      this.joinForm = h('form', { id: 'join-form' }, [this.joinButton]);
      this.joinPanel = card('join-heading', 'meeting', [
        meetingIdLine,
        h('p', { text: ['joinAs', { name: who.displayName }] }),
        this.joinForm,
        this.signInAgain,
        this.support,
      ]);
    }
    this.waitingPanel = card('waiting-heading', 'waitingHeading', [this.waitingText, h('p', { class: 'hint', text: 'waitingMediaOff' }), this.cancelWaiting]);
    this.waitingPanel.id = 'waiting-view';
    this.waitingPanel.hidden = true;
    this.callPanel = h('section', { id: 'call-view', class: 'call', hidden: true, label: 'meeting' }, [
      h('header', { class: 'call-header' }, [this.title, this.lockedBadge]),
      this.e2eeBadge.element,
      h('div', { id: 'controls', class: 'controls', label: 'controls', attrs: { role: 'group' } }, [
        this.micButton,
        this.cameraButton,
        this.screenButton,
        this.leaveButton,
      ]),
      this.micHint,
      this.cameraHint,
      this.notice.element,
      this.toolbar.element,
      h('div', { class: 'call-body' }, [
        h('div', { class: 'stage' }, [
          h('figure', { id: 'local-tile', class: 'tile local', label: 'yourPreview' }, [this.localVideo, h('figcaption', { text: 'you' })]),
          this.grid.element,
        ]),
        h('div', { class: 'side' }, [this.participants.element, this.waitingRoom.element, this.chat.element]),
      ]),
    ]);
    // The `muted` attribute alone does not mute a video created by script.
    this.localVideo.muted = true;

    this.#onClick(this.micButton, () => this.call.toggleMic());
    this.#onClick(this.cameraButton, () => this.call.toggleCamera());
    this.#onClick(this.screenButton, () => this.call.toggleScreenShare());
    this.leaveButton.addEventListener('click', () => void this.#leave());
    this.cancelWaiting.addEventListener('click', () => void this.call.leave());
  }

  /** Runs a call action: errors go to the alert region; the page shows the state afterwards. */
  readonly act: Act = async (work, done) => {
    showError(null);
    try {
      await work();
      const text = typeof done === 'function' ? done() : done;
      if (text) announce(text);
    } catch (err) {
      // An action cut short because the call itself ended: the page already says why (the
      // session ended, removed…), which a "connection lost" must not replace.
      const ended = this.call.state === 'error' || this.call.state === 'ended';
      if (!(ended && this.call.errorCode)) reportCallError(err);
    } finally {
      this.update();
    }
  };

  /** An own control: one action at a time per button (a second click while the first runs does nothing). */
  #onClick(button: HTMLButtonElement, work: () => Promise<void>): void {
    button.addEventListener('click', () => {
      if (button.getAttribute('aria-busy') === 'true') return;
      button.setAttribute('aria-busy', 'true');
      void this.act(work).finally(() => button.removeAttribute('aria-busy'));
    });
  }

  /** Leaving as the only host: offer to hand the role to someone (the server picks otherwise). */
  async #leave(): Promise<void> {
    const meeting = this.call.meeting;
    if (!meeting || meeting.self.role !== 'host' || meeting.otherHostPresent || meeting.others.size === 0) {
      await this.call.leave();
      return;
    }
    const select = h('select', { id: 'hand-over-to', attrs: { name: 'handOverTo' } }, [
      h('option', { text: 'handOverAuto', attrs: { value: '' } }),
      ...[...meeting.others.values()].map((p) => h('option', { plain: p.displayName, attrs: { value: p.id } })),
    ]);
    const field = h('div', { class: 'field' }, [h('label', { text: 'handOverLabel', attrs: { for: select.id } }), select]);
    const sure = await ask({ id: 'leave-dialog', message: 'handOverIntro', confirm: 'leaveConfirm', danger: true, body: [field] });
    if (!sure) return;
    const to = select.value;
    await this.call.leave(to && this.call.meeting?.others.has(to) ? to : undefined);
  }

  setState(state: CallState, errorCode: AnyErrorCode | null): void {
    document.body.dataset['state'] = state;
    const inCall = state === 'joined' || state === 'joining';
    const waiting = state === 'waiting';
    this.callPanel.hidden = !inCall;
    this.waitingPanel.hidden = !waiting;
    this.joinPanel.hidden = inCall || waiting;
    const sessionEnded = errorCode === 'SESSION_ENDED';
    // Joining again cannot work without a new sign-in (or at all, when banned).
    this.joinButton.disabled = state === 'joining' || sessionEnded || errorCode === 'BANNED';
    this.signInAgain.hidden = !sessionEnded;
    this.support.hidden = errorCode !== 'E2EE_UNSUPPORTED' && errorCode !== 'UNSUPPORTED';
    // A guest whose access ended enters the meeting password again to come back.
    if (errorCode === 'GUEST_SESSION_ENDED') this.guestPassword.value = '';
    if (!inCall) {
      this.chat.clear();
      this.notice.element.replaceChildren();
    }
    if (state === 'ended' && errorCode) {
      showAlert(errorKey(errorCode));
    } else if (errorCode) {
      announce(null); // "You are in the meeting" no longer holds
      showError(errorCode);
    } else if (inCall || waiting) showError(null);
  }

  status(key: MessageKey, vars: Vars = {}): void {
    announce([key, vars]);
  }

  alert(key: MessageKey, vars: Vars = {}): void {
    showAlert([key, vars]);
  }

  /** Controls and panels from the call's current state. */
  update(): void {
    const call = this.call;
    const meeting = call.meeting;
    const joined = call.state === 'joined';

    this.title.textContent = meeting?.title ?? '';
    this.lockedBadge.hidden = !meeting?.locked;
    this.e2eeBadge.update(call);
    const noHost = call.waitingReason === 'no-host';
    translate(
      this.waitingText,
      'text',
      this.guest ? (noHost ? 'waitingGuestNoHostText' : 'waitingGuestText') : noHost ? 'waitingNoHostText' : 'waitingRoomText',
    );

    // Microphone: while a host has it muted, the button cannot unmute and says why.
    const hostMuted = meeting?.self.mutedByHost ?? false;
    translate(this.micButton, 'text', call.micMuted ? 'unmuteMic' : 'muteMic');
    this.micButton.classList.toggle('off', call.micMuted);
    this.micButton.disabled = !joined || !call.hasMicrophone || (call.micMuted && hostMuted);
    this.micHint.hidden = !hostMuted;
    this.#describe(this.micButton, hostMuted ? this.micHint.id : null);

    const cameraAllowed = meeting?.self.cameraAllowed ?? true;
    translate(this.cameraButton, 'text', call.cameraOff ? 'startCamera' : 'stopCamera');
    this.cameraButton.classList.toggle('off', call.cameraOff);
    this.cameraButton.disabled = !joined || (call.cameraOff && !cameraAllowed);
    this.cameraHint.hidden = !meeting || cameraAllowed;
    this.#describe(this.cameraButton, meeting && !cameraAllowed ? this.cameraHint.id : null);

    const screenAllowed = meeting?.self.screenShareAllowed ?? false;
    this.screenButton.hidden = !call.screenSharing && !screenAllowed;
    this.screenButton.disabled = !joined;
    translate(this.screenButton, 'text', call.screenSharing ? 'stopShare' : 'shareScreen');
    this.screenButton.classList.toggle('off', call.screenSharing);

    // An open request to unmute is moot once the microphone is on.
    if (!call.micMuted && this.notice.action === 'unmute-requested') this.notice.clear();

    this.toolbar.update(meeting);
    this.participants.update(meeting);
    this.waitingRoom.update(meeting);
    this.chat.update(meeting);
  }

  #describe(el: HTMLElement, id: string | null): void {
    if (id) el.setAttribute('aria-describedby', id);
    else el.removeAttribute('aria-describedby');
  }

  chatMessage(message: ChatMessage): void {
    const meeting = this.call.meeting;
    if (meeting) this.chat.add(message, meeting);
  }

  /** What a host did to us, as a notice; a request to unmute comes with the button to do it. */
  hostAction(action: HostAction): void {
    this.notice.show(action, () => {
      void this.act(async () => {
        if (this.call.micMuted) await this.call.toggleMic();
        this.notice.clear();
      });
    });
  }

  showLocal(stream: MediaStream | null): void {
    this.localVideo.srcObject = stream;
    if (stream) void this.localVideo.play().catch(() => {});
  }

  addParticipant(id: string, displayName: string): void {
    this.grid.addParticipant(id, displayName);
  }

  removeParticipant(id: string): void {
    this.grid.removeParticipant(id);
  }

  addTrack(participantId: string, consumerId: string, kind: MediaKind, source: Source, track: MediaStreamTrack): void {
    this.grid.addTrack(participantId, consumerId, kind, source, track);
  }

  speaker(participantId: string): void {
    this.grid.setSpeaker(participantId);
  }

  removeTrack(participantId: string, consumerId: string): void {
    this.grid.removeTrack(participantId, consumerId);
  }

  clearRemote(): void {
    this.grid.clear();
  }
}
