/**
 * Chat over the signalling channel: to everyone or to one participant. The server relays and
 * keeps nothing (only the audit row that a message was sent, never its text); clients render
 * it as text only.
 */
import { randomUUID } from 'node:crypto';
import { requireChat } from '../../meetings/rules.ts';
import { audited, inMeeting, target, type HandlerSet } from './common.ts';

export const chatHandlers: HandlerSet<'sendChat'> = {
  async sendChat(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    return audited(services, caller, 'chat.send', { private: params.to !== undefined }, () => {
      requireChat(meeting);
      const recipient = params.to === undefined ? null : target(meeting, params.to);
      const message = {
        id: randomUUID(),
        from: participant.id,
        fromName: participant.displayName,
        to: recipient?.id ?? null,
        text: params.text,
        at: Date.now(),
      };
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
