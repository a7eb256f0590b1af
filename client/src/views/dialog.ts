/**
 * A modal question (the browser's <dialog>: focus kept inside, Escape cancels) with translated
 * texts, for the steps that cannot be undone: ending a meeting for everyone, banning someone,
 * leaving as the last host. Resolves true when confirmed.
 */
import { h, type Text } from '../dom.ts';
import type { MessageKey } from '../i18n/translate.ts';

export type DialogOptions = {
  id: string;
  message: Text;
  confirm: MessageKey;
  danger?: boolean;
  /** More content between the question and the buttons (e.g. a select). */
  body?: readonly Node[];
};

export function ask(options: DialogOptions): Promise<boolean> {
  document.getElementById(options.id)?.remove();
  const messageId = `${options.id}-message`;
  const confirm = h('button', {
    id: `${options.id}-confirm`,
    class: options.danger ? 'danger' : 'primary',
    text: options.confirm,
    attrs: { type: 'submit', value: 'yes' },
  });
  const cancel = h('button', { id: `${options.id}-cancel`, text: 'cancel', attrs: { type: 'submit', value: 'no' } });
  const dialog = h('dialog', { id: options.id, class: 'dialog', attrs: { 'aria-labelledby': messageId } }, [
    h('form', { attrs: { method: 'dialog' } }, [
      h('p', { id: messageId, text: options.message }),
      ...(options.body ?? []),
      h('div', { class: 'dialog-buttons' }, [cancel, confirm]),
    ]),
  ]);
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        resolve(dialog.returnValue === 'yes');
        dialog.remove();
      },
      { once: true },
    );
    dialog.showModal();
    // The safe answer has the focus: Enter on an unexpected dialog does not ban or end anything.
    cancel.focus();
  });
}
