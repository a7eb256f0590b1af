/**
 * A participant as one viewer sees them: the facts everyone sees (Participant.info), and what the
 * viewer may do to them, by the rules the verbs enforce (rules.controlsOver) — plus, in one's own
 * view only, the meeting's controls one holds. The client shows these and keeps no rule of its own.
 */
import type { Static } from '@sinclair/typebox';
import type { ParticipantInfo } from '../../protocol/signaling.ts';
import type { Participant, ParticipantFacts } from './participant.ts';
import * as rules from './rules.ts';

export type ParticipantView = Static<typeof ParticipantInfo>;

/** `facts`: `subject.info(policy)`, computed once when many viewers are told. */
export function viewOf(subject: Participant, facts: ParticipantFacts, viewer: Participant): ParticipantView {
  const controls = rules.controlsOver(viewer, subject);
  return viewer === subject ? { ...facts, controls, meetingControls: rules.meetingControls(viewer) } : { ...facts, controls };
}

/** What `viewer` may do to each of `others`, to tell them afterwards whose changed (their role changes). */
export function controlsSnapshot(viewer: Participant, others: readonly Participant[]): Map<Participant, string> {
  return new Map(others.map((o) => [o, rules.controlsOver(viewer, o).join()]));
}
