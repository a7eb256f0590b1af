/** Sending chat messages (received ones arrive through call-notifications.ts). */
import type { CallCore } from './call-core.ts';

/** Sends a chat message to everyone or to one participant; shows it once sent. */
export async function sendChat(core: CallCore, text: string, to: string | null): Promise<void> {
  const { sig, meeting, connection } = core.inside();
  const target = to ? { to } : {};
  // In an end-to-end encrypted meeting the server only ever sees the sealed text.
  const { messageId } = connection.e2ee
    ? await sig.request('sendChat', { sealed: await connection.e2ee.sealChat(text, to), ...target })
    : await sig.request('sendChat', { text, ...target });
  // The server may or may not echo it to the sender: the view shows each id once.
  core.view.chatMessage({ id: messageId, from: meeting.self.id, fromName: meeting.self.displayName, to, text, at: Date.now() });
}
