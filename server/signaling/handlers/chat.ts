/**
 * Chat over the signalling channel: to everyone or to one participant. The server relays and
 * keeps nothing (only the audit row that a message was sent, never its text); clients render
 * it as text only. In end-to-end encrypted meetings chat travels `sealed` by the sender's client
 * and the server never sees its text; elsewhere it travels as `text`.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { requireChat, requireChatForm } from '../../meetings/rules.ts';
import type { ChatMessage } from '../../../protocol/signaling.ts';
import { audited, inMeeting, target, type HandlerSet } from './common.ts';

export const chatHandlers: HandlerSet<'sendChat'> = {
  async sendChat(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    // The audit row says whether it was private; never the text, never the sealed content.
    return audited(services, caller, 'chat.send', { private: params.to !== undefined }, () => {
      requireChat(meeting);
      requireChatForm(meeting, 'sealed' in params);
      const recipient = params.to === undefined ? null : target(meeting, params.to);
      const envelope = { id: randomUUID(), from: participant.id, fromName: participant.displayName, to: recipient?.id ?? null, at: Date.now() };
      const message: Static<typeof ChatMessage> = 'sealed' in params ? { ...envelope, sealed: params.sealed } : { ...envelope, text: params.text };
      if (recipient) {
        recipient.link.notify('chatMessage', message);
        if (recipient !== participant) participant.link.notify('chatMessage', message);
      } else {
        meeting.broadcast('chatMessage', message);
      }
      return { messageId: message.id };
    });
  },
};
