/** Notices of what a host did to us (muted, asked to unmute, camera or screen sharing allowed or not). */
import { h } from '../dom.ts';
import type { MessageKey } from '../i18n/translate.ts';
import type { HostAction } from '../call/meeting-state.ts';

const NOTICES: Record<HostAction, MessageKey> = {
  muted: 'noticeMuted',
  'unmute-requested': 'noticeUnmuteRequested',
  'camera-disallowed': 'noticeCameraDisallowed',
  'camera-allowed': 'noticeCameraAllowed',
  'screen-share-allowed': 'noticeScreenAllowed',
  'screen-share-disallowed': 'noticeScreenDisallowed',
};

export class HostNotice {
  readonly element = h('div', { id: 'host-notice', class: 'notice-area', label: 'hostNotices', attrs: { role: 'status' } });

  /** The action the notice on show is about, if any. */
  get action(): string | undefined {
    return this.element.dataset['action'];
  }

  /** Shows the notice; a request to unmute comes with the button to do it (`unmute`). */
  show(action: HostAction, unmute: () => void): void {
    const dismiss = h('button', { class: 'dismiss', text: 'dismissNotice', attrs: { type: 'button' } });
    dismiss.addEventListener('click', () => this.clear());
    const parts: Node[] = [h('p', { class: 'notice-text', text: NOTICES[action] })];
    if (action === 'unmute-requested') {
      const button = h('button', { id: 'notice-unmute', class: 'primary', text: 'unmuteMic', attrs: { type: 'button' } });
      button.addEventListener('click', unmute);
      parts.push(button);
    }
    parts.push(dismiss);
    this.element.dataset['action'] = action;
    this.element.replaceChildren(h('div', { class: `notice ${action}` }, parts));
  }

  clear(): void {
    delete this.element.dataset['action'];
    this.element.replaceChildren();
  }
}
