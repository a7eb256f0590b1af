/**
 * Chat over the signalling channel: to everyone or to one participant. The server relays and
 * keeps nothing (only the audit row that a message was sent, never its text); clients render
 * it as text only. In end-to-end encrypted meetings chat travels `sealed` by the sender's client
 * and the server never sees its text; elsewhere it travels as `text`.
 */
import { audited, inMeeting, type HandlerSet } from './common.ts';

export const chatHandlers: HandlerSet<'sendChat'> = {
  async sendChat(services, caller, params) {
    const { meeting, participant } = inMeeting(caller);
    // The audit row says whether it was private; never the text, never the sealed content.
    return audited(services, caller, 'chat.send', { private: params.to !== undefined }, () => {
      const content = 'sealed' in params ? { sealed: params.sealed } : { text: params.text };
      return { messageId: meeting.sendChat(participant, params.to, content) };
    });
  },
};
