/**
 * The chat panel: messages to everyone or privately to one participant. Message text is only
 * ever put in text nodes; `https:` addresses become links (chat-text.ts), nothing else does.
 * When the meeting's policy has chat off, the form is disabled and says why.
 */
import { CHAT_MAX_LENGTH, chatSegments } from '../chat-text.ts';
import { announce, h, translate } from '../dom.ts';
import { getLang } from '../i18n/translate.ts';
import type { ChatMessage, MeetingState } from '../call/meeting-state.ts';
import { section } from './layout.ts';

/** The message text as nodes: text, and https links that open apart from the meeting page. */
export function chatTextNodes(text: string): Node[] {
  return chatSegments(text).map((segment) => {
    if (segment.kind === 'text') return document.createTextNode(segment.text);
    const a = document.createElement('a');
    a.href = segment.href;
    a.textContent = segment.text;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    return a;
  });
}

export class ChatPanel {
  readonly log = h('ol', { id: 'chat-log', class: 'chat-log', label: 'chatLog', attrs: { role: 'log', 'aria-live': 'polite', tabindex: '0' } });
  readonly empty = h('p', { id: 'chat-empty', class: 'hint', text: 'chatEmpty' });
  readonly to = h('select', { id: 'chat-to', attrs: { name: 'to' } });
  readonly input = h('textarea', {
    id: 'chat-input',
    attrs: { name: 'text', rows: '2', maxlength: String(CHAT_MAX_LENGTH), required: true, 'aria-describedby': 'chat-hint' },
  });
  readonly send = h('button', { id: 'chat-send', class: 'primary', text: 'chatSend', attrs: { type: 'submit' } });
  readonly disabledHint = h('p', { id: 'chat-disabled', class: 'hint', text: 'err_CHAT_DISABLED', hidden: true });
  readonly form: HTMLFormElement;
  readonly element: HTMLElement;
  readonly #seen = new Set<string>();
  #chatOn: boolean | null = null;
  /** The recipients the list shows; null before the first update (alone in the call is a list too: "Todos"). */
  #recipients: string | null = null;

  constructor(onSend: (text: string, to: string | null) => Promise<void>) {
    this.form = h('form', { id: 'chat-form', class: 'chat-form' }, [
      h('div', { class: 'field' }, [h('label', { text: 'chatTo', attrs: { for: this.to.id } }), this.to]),
      h('div', { class: 'field' }, [
        h('label', { text: 'chatMessageLabel', attrs: { for: this.input.id } }),
        this.input,
        h('p', { id: 'chat-hint', class: 'hint', text: 'chatHint' }),
      ]),
      this.disabledHint,
      this.send,
    ]);
    this.element = section('chat-heading', 'chatHeading', [this.log, this.empty, this.form]);
    this.element.id = 'chat-panel';
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = this.input.value;
      if (text.trim() === '' || this.form.getAttribute('aria-busy') === 'true') return;
      this.form.setAttribute('aria-busy', 'true');
      onSend(text, this.to.value || null)
        .then(() => {
          this.input.value = '';
        })
        .catch(() => {})
        .finally(() => this.form.removeAttribute('aria-busy'));
    });
    this.update(null);
  }

  /** Recipients and whether chat is on, from the meeting (null: not in one). */
  update(meeting: MeetingState | null): void {
    const on = meeting?.policy.chat ?? false;
    for (const control of [this.to, this.input, this.send]) control.disabled = !on;
    this.disabledHint.hidden = !meeting || on;
    this.input.setAttribute('aria-describedby', on ? 'chat-hint' : 'chat-disabled chat-hint');
    if (meeting && this.#chatOn !== null && this.#chatOn !== on) announce(on ? 'statusChatOn' : 'statusChatOff');
    this.#chatOn = meeting ? on : null;

    const others = meeting ? [...meeting.others.values()] : [];
    const key = others.map((p) => `${p.id}\u0000${p.displayName}`).join('\u0001');
    if (key === this.#recipients) return;
    this.#recipients = key;
    const chosen = this.to.value;
    const everyone = h('option', { text: 'chatEveryone', attrs: { value: '' } });
    this.to.replaceChildren(everyone, ...others.map((p) => h('option', { plain: p.displayName, attrs: { value: p.id } })));
    // Someone who left can no longer be written to: back to everyone.
    this.to.value = others.some((p) => p.id === chosen) ? chosen : '';
  }

  add(message: ChatMessage, meeting: MeetingState): void {
    if (this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    const mine = message.from === meeting.self.id;
    const time = new Intl.DateTimeFormat(getLang(), { timeStyle: 'short' }).format(message.at);
    const meta = h('p', { class: 'chat-meta' });
    const who = h('span', { class: 'chat-from' });
    if (message.to === null) {
      if (mine) translate(who, 'text', 'you');
      else who.textContent = message.fromName;
    } else if (mine) {
      translate(who, 'text', ['chatPrivateFromYou', { name: meeting.nameOf(message.to) ?? '?' }]);
    } else {
      translate(who, 'text', ['chatPrivateToYou', { name: message.fromName }]);
    }
    meta.append(who, ' · ', h('time', { plain: time, attrs: { datetime: new Date(message.at).toISOString() } }));
    const body = h('p', { class: 'chat-text', attrs: { dir: 'auto' } }, chatTextNodes(message.text));
    const li = h('li', { class: message.to === null ? 'chat-message' : 'chat-message private', attrs: { 'data-message-id': message.id } }, [meta, body]);
    this.log.append(li);
    this.empty.hidden = true;
    this.log.scrollTop = this.log.scrollHeight;
  }

  clear(): void {
    this.log.replaceChildren();
    this.#seen.clear();
    this.empty.hidden = false;
  }
}
