/** What the server tells a connection: admission, the others, roles and permissions, policy, lock, chat, media. */
import type { CallConnection } from './call-connection.ts';
import type { CallCore } from './call-core.ts';
import { end, enter, joinFailed, onReconnect } from './call-join.ts';
import { closeCamera, micForcedOff } from './call-own-media.ts';
import { addParticipant, closeConsumer, consume } from './call-remote-media.ts';
import { stopScreen } from './call-screen.ts';
import type { HostAction, Participant } from './meeting-state.ts';
import type { Signaling } from './signaling.ts';
import { isChatText } from './chat-text.ts';

export function wireNotifications(core: CallCore, connection: CallConnection, sig: Signaling): void {
  const current = () => core.connection === connection;
  /** The meeting, when this connection is current and inside it. */
  const inside = () => (current() ? connection.meeting : null);

  sig.on('admitted', ({ meeting }) => {
    if (!current() || connection.waiting === null) return;
    core.view.status('statusAdmitted');
    enter(core, connection, meeting).catch((err: unknown) => joinFailed(core, connection, err));
  });
  sig.on('denied', () => {
    if (current()) end(core, connection, 'DENIED');
  });
  sig.on('removed', ({ banned }) => {
    if (current()) end(core, connection, banned ? 'BANNED' : 'REMOVED');
  });
  sig.on('meetingEnded', () => {
    if (current()) end(core, connection, 'MEETING_ENDED');
  });

  sig.on('participantJoined', ({ participant }) => {
    const meeting = inside();
    if (!meeting) return;
    meeting.others.set(participant.id, participant);
    addParticipant(core, participant.id, participant.displayName);
    connection.e2ee?.peerJoined(participant.id);
    core.view.status('statusParticipantJoined', { name: participant.displayName });
    for (const pr of participant.producers) void consume(core, connection, participant.id, pr.id);
    core.view.update();
  });
  sig.on('participantLeft', ({ participantId }) => {
    const meeting = inside();
    if (!meeting) return;
    for (const [id, entry] of connection.consumers) {
      if (entry.participantId === participantId) closeConsumer(core, connection, id);
    }
    connection.e2ee?.peerLeft(participantId);
    const name = meeting.others.get(participantId)?.displayName;
    meeting.others.delete(participantId);
    core.view.removeParticipant(participantId);
    if (name !== undefined) core.view.status('statusParticipantLeft', { name });
    core.view.update();
  });
  sig.on('participantUpdated', ({ participant }) => {
    const meeting = inside();
    if (!meeting) return;
    if (participant.id === meeting.self.id) applySelf(core, connection, participant);
    else if (meeting.others.has(participant.id)) {
      meeting.others.set(participant.id, participant);
      core.view.update();
    }
  });
  sig.on('waitingRoomChanged', ({ waiting }) => {
    const meeting = inside();
    if (!meeting) return;
    meeting.waiting = waiting;
    if (waiting.length === 1) core.view.status('statusWaitingArrived', { name: waiting[0]!.displayName });
    else if (waiting.length > 1) core.view.status('statusWaitingArrivedMany', { count: String(waiting.length) });
    core.view.update();
  });
  sig.on('waitingAdded', ({ entry }) => {
    const meeting = inside();
    if (!meeting) return;
    meeting.waiting = [...meeting.waiting.filter((w) => w.id !== entry.id), entry];
    core.view.status('statusWaitingArrived', { name: entry.displayName });
    core.view.update();
  });
  sig.on('waitingRemoved', ({ waitingId }) => {
    const meeting = inside();
    if (!meeting) return;
    meeting.waiting = meeting.waiting.filter((w) => w.id !== waitingId);
    core.view.update();
  });
  sig.on('passwordChanged', ({ password }) => {
    if (!inside()) return;
    // Kept in the alert region: the host needs it to invite again (a status line is soon replaced).
    if (password !== undefined) core.view.alert('statusMeetingPasswordChangedTo', { password });
    else core.view.alert('statusMeetingPasswordChanged');
  });
  sig.on('hostAction', ({ action }) => {
    if (inside()) onHostAction(core, connection, action);
  });
  sig.on('policyChanged', ({ policy }) => {
    const meeting = inside();
    if (!meeting) return;
    meeting.policy = policy;
    core.view.update();
  });
  sig.on('lockChanged', ({ locked }) => {
    const meeting = inside();
    if (!meeting || meeting.locked === locked) return;
    meeting.locked = locked;
    core.view.status(locked ? 'statusLocked' : 'statusUnlocked');
    core.view.update();
  });
  sig.on('chatMessage', (message) => {
    const meeting = inside();
    if (!meeting) return;
    if ('text' in message) {
      core.view.chatMessage(message);
      return;
    }
    // Sealed (end-to-end encrypted meeting). Our own are shown when sent.
    const e2ee = connection.e2ee;
    if (!e2ee || message.from === meeting.self.id) return;
    const { sealed, ...rest } = message;
    e2ee.openChat(message.from, message.to, sealed).then(
      (text) => {
        if (inside() && isChatText(text)) core.view.chatMessage({ ...rest, text });
      },
      (err: unknown) => console.warn('[call] a sealed chat message did not open; dropped', err),
    );
  });
  sig.on('e2eeKeysAnnounced', ({ participantId, bundle }) => {
    // Only for someone in the participant list (the session refuses anyone it was not told of).
    if (inside()?.others.has(participantId)) connection.e2ee?.peerAnnounced(participantId, bundle);
  });
  sig.on('e2eeKey', ({ from, blob }) => {
    if (inside()) connection.e2ee?.keyReceived(from, blob);
  });

  sig.on('producerAdded', ({ participantId, producer }) => {
    const meeting = inside();
    if (!meeting) return;
    const p = meeting.others.get(participantId);
    if (p && !p.producers.some((x) => x.id === producer.id)) p.producers.push(producer);
    void consume(core, connection, participantId, producer.id);
  });
  sig.on('producerClosed', ({ participantId, producerId }) => {
    const meeting = inside();
    if (!meeting) return;
    connection.closedProducers.add(producerId);
    const p = meeting.others.get(participantId);
    if (p) p.producers = p.producers.filter((x) => x.id !== producerId);
    for (const [id, entry] of connection.consumers) {
      if (entry.producerId === producerId) closeConsumer(core, connection, id);
    }
    // One of our own, closed by the server (a host forbade the camera or screen sharing).
    for (const [source, producer] of connection.producers) {
      if (producer.id !== producerId) continue;
      if (source === 'screen') void stopScreen(core, connection, false);
      else if (source === 'camera') closeCamera(core, connection, false);
      else {
        connection.producers.delete(source);
        producer.close();
        core.view.update();
      }
    }
  });
  sig.on('consumerClosed', ({ consumerId }) => {
    if (!current()) return;
    closeConsumer(core, connection, consumerId);
  });
  sig.on('reconnect', (params) => {
    if (!current()) return;
    void onReconnect(core, connection, params);
  });
}

/** Our own role or host-controlled permissions changed: act on what was taken away. */
export function applySelf(core: CallCore, connection: CallConnection, next: Participant): void {
  const meeting = connection.meeting;
  if (!meeting) return;
  const prev = meeting.self;
  meeting.self = next;
  if (next.mutedByHost && !prev.mutedByHost) micForcedOff(core, connection);
  if (!next.cameraAllowed && prev.cameraAllowed) closeCamera(core, connection, true);
  if (!next.screenShareAllowed && prev.screenShareAllowed) void stopScreen(core, connection, true);
  if (next.role !== prev.role) {
    if (next.role !== 'participant' && prev.role === 'participant') meeting.waiting = [];
    core.view.status(next.role === 'host' ? 'statusNowHost' : next.role === 'cohost' ? 'statusNowCohost' : 'statusNowParticipant');
  }
  core.view.update();
}

export function onHostAction(core: CallCore, connection: CallConnection, action: HostAction): void {
  const meeting = connection.meeting;
  if (!meeting) return;
  // participantUpdated carries the same change; this keeps the two in step whichever comes first.
  const self = meeting.self;
  switch (action) {
    case 'muted':
      if (!self.mutedByHost) applySelf(core, connection, { ...self, mutedByHost: true });
      break;
    case 'unmute-requested':
      if (self.mutedByHost) applySelf(core, connection, { ...self, mutedByHost: false });
      break;
    case 'camera-disallowed':
    case 'camera-allowed': {
      const allowed = action === 'camera-allowed';
      if (self.cameraAllowed !== allowed) applySelf(core, connection, { ...self, cameraAllowed: allowed });
      break;
    }
    case 'screen-share-disallowed':
    case 'screen-share-allowed': {
      const allowed = action === 'screen-share-allowed';
      if (self.screenShareAllowed !== allowed) applySelf(core, connection, { ...self, screenShareAllowed: allowed });
      break;
    }
  }
  core.view.hostAction(action);
}
