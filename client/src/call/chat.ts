/**
 * Chat in one session: sending, and showing what arrives. In an end-to-end encrypted meeting the
 * server only ever sees sealed text: we seal before sending and open what others sealed.
 */
import type { NotificationParams } from '../../../protocol/signaling.ts';
import { isChatText } from '../chat-text.ts';
import type { Signaling } from '../signaling.ts';
import type { CallE2ee } from './e2ee.ts';
import type { MeetingState } from './meeting-state.ts';
import type { CallView } from './types.ts';

export class Chat {
  readonly #sig: Signaling;
  readonly #meeting: MeetingState;
  readonly #e2ee: CallE2ee | null;
  readonly #view: Pick<CallView, 'chatMessage'>;

  constructor(sig: Signaling, meeting: MeetingState, e2ee: CallE2ee | null, view: Pick<CallView, 'chatMessage'>) {
    this.#sig = sig;
    this.#meeting = meeting;
    this.#e2ee = e2ee;
    this.#view = view;
  }

  /** Sends a message to everyone or to one participant; shows it once sent. */
  async send(text: string, to: string | null): Promise<void> {
    const target = to ? { to } : {};
    const { messageId } = this.#e2ee
      ? await this.#sig.request('sendChat', { sealed: await this.#e2ee.sealChat(text, to), ...target })
      : await this.#sig.request('sendChat', { text, ...target });
    // The server may or may not echo it to the sender: the view shows each id once.
    const self = this.#meeting.self;
    this.#view.chatMessage({ id: messageId, from: self.id, fromName: self.displayName, to, text, at: Date.now() });
  }

  received(message: NotificationParams<'chatMessage'>): void {
    if ('text' in message) {
      this.#view.chatMessage(message);
      return;
    }
    // Sealed. Our own were shown when sent.
    const e2ee = this.#e2ee;
    if (!e2ee || message.from === this.#meeting.self.id) return;
    const { sealed, ...rest } = message;
    e2ee.openChat(message.from, message.to, sealed).then(
      (text) => {
        if (isChatText(text)) this.#view.chatMessage({ ...rest, text });
      },
      (err: unknown) => console.warn('[call] a sealed chat message did not open; dropped', err),
    );
  }
}
