/**
 * The organisation's rules over every meeting (the admin console's policy, else the configuration
 * file: server/admin/policy.ts): the defaults of a new meeting, whether E2EE may be off, whether
 * guests may come, and the most any meeting may allow to record. Read through a function, each
 * time: a change from the console applies at once, without a restart.
 */
import type { OrgPolicy } from '../../protocol/admin.ts';
import type { MeetingPolicy } from '../../protocol/policy.ts';

export type MeetingRules = Pick<OrgPolicy, 'meetingDefaults' | 'e2eeRequired' | 'guestsAllowed' | 'recordingMax'>;
export type RulesSource = () => MeetingRules;

const RECORDING_RANK = { nobody: 0, host: 1, everyone: 2 } as const;

/** The rules of a configuration file alone (tools and tests that have no console policy). */
export function fileRules(defaults: MeetingPolicy, options: { e2eeRequired?: boolean } = {}): RulesSource {
  const rules: MeetingRules = { meetingDefaults: defaults, e2eeRequired: options.e2eeRequired ?? false, guestsAllowed: true, recordingMax: 'everyone' };
  return () => rules;
}

/**
 * A meeting's policy within the organisation's rules: encrypted while E2EE is required, staff
 * only while guests are not allowed, recording no wider than the ceiling. Returns the same object
 * when nothing had to change.
 */
export function withinRules(policy: MeetingPolicy, rules: MeetingRules): MeetingPolicy {
  const e2ee = rules.e2eeRequired || policy.e2ee;
  const guests = rules.guestsAllowed ? policy.guests : 'none';
  const recording = RECORDING_RANK[policy.recording] > RECORDING_RANK[rules.recordingMax] ? rules.recordingMax : policy.recording;
  if (e2ee === policy.e2ee && guests === policy.guests && recording === policy.recording) return policy;
  return { ...policy, e2ee, guests, recording };
}
