/**
 * The organisation policy (docs/admin.md): meeting defaults, whether meetings may run without
 * E2EE, guests, the recording ceiling, session lifetimes. One row in `org_policy` (migration 10)
 * once saved from the admin console; until then the configuration file's values. The saved one
 * wins over the file. Read from memory (`current()`, at every use by the meetings and sessions it
 * governs), so a change applies at once, without a restart.
 */
import type { Config } from '../config/schema.ts';
import { DomainError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { compile, describeErrors } from '../validation.ts';
import { OrgPolicy, type OrgPolicyView } from '../../protocol/admin.ts';

const isOrgPolicy = compile(OrgPolicy);

/** The file's values: `meetings.policy`, `meetings.e2eeRequired`, `auth.session*`; guests allowed, any recording. */
export function policyFromConfig(config: Pick<Config, 'meetings' | 'auth'>): OrgPolicy {
  return {
    meetingDefaults: config.meetings.policy,
    e2eeRequired: config.meetings.e2eeRequired,
    guestsAllowed: true,
    recordingMax: 'everyone',
    sessionIdleMinutes: config.auth.sessionIdleMinutes,
    sessionAbsoluteHours: config.auth.sessionAbsoluteHours,
  };
}

/** The rule the configuration loader applies across keys (server/config/load.ts), for a policy from the console. */
export function policyProblem(policy: OrgPolicy): string | undefined {
  if (policy.e2eeRequired && !policy.meetingDefaults.e2ee) return 'meetingDefaults.e2ee: must be true while e2eeRequired is true';
  return undefined;
}

interface Row {
  policy: string;
  updated_at: number;
  updated_by: string | null;
}

export interface SavedPolicy {
  policy: OrgPolicy;
  updatedAt: number;
  /** The account id of the administrator who saved it. */
  updatedBy: string | null;
}

export class OrgPolicyStore {
  readonly #db: Db;
  readonly #fromConfig: OrgPolicy;
  #saved: SavedPolicy | undefined;

  /** Throws when the saved policy no longer passes the schema (the server does not start on it). */
  constructor(db: Db, config: Pick<Config, 'meetings' | 'auth'>) {
    this.#db = db;
    this.#fromConfig = policyFromConfig(config);
    const row = db.prepare('SELECT policy, updated_at, updated_by FROM org_policy WHERE id = 1').get() as Row | undefined;
    this.#saved = row && this.#parse(row);
  }

  /** The policy in force: the saved one, else the file's. */
  current(): OrgPolicy {
    return this.#saved?.policy ?? this.#fromConfig;
  }

  /** `updatedBy`: the account id of who saved it. */
  view(): OrgPolicyView {
    const saved = this.#saved;
    return saved
      ? { policy: saved.policy, source: 'database', updatedAt: saved.updatedAt, updatedBy: saved.updatedBy }
      : { policy: this.#fromConfig, source: 'config', updatedAt: null, updatedBy: null };
  }

  /**
   * Saves a policy that passed the schema (the route's), after the rule across keys; returns what
   * was in force before and what is now. A refused one (INVALID_BODY) changes nothing.
   */
  save(policy: OrgPolicy, by: string, now = Date.now()): { before: OrgPolicy; after: OrgPolicy } {
    const problem = policyProblem(policy);
    if (problem) throw new DomainError('INVALID_BODY', problem);
    const before = this.current();
    this.#db
      .prepare(
        `INSERT INTO org_policy (id, policy, updated_at, updated_by) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(JSON.stringify(policy), now, by);
    this.#saved = { policy, updatedAt: now, updatedBy: by };
    return { before, after: policy };
  }

  /** A stored policy over the file's values (a key added since it was saved comes from the file), checked like a new one. */
  #parse(row: Row): SavedPolicy {
    const stored = JSON.parse(row.policy) as Partial<OrgPolicy>;
    const policy = { ...this.#fromConfig, ...stored, meetingDefaults: { ...this.#fromConfig.meetingDefaults, ...stored.meetingDefaults } };
    const problem = isOrgPolicy(policy) ? policyProblem(policy) : describeErrors(isOrgPolicy.errors).join('; ');
    if (problem) throw new Error(`the organisation policy saved in the database is not valid (${problem}); save a valid one or delete the org_policy row`);
    return { policy, updatedAt: row.updated_at, updatedBy: row.updated_by };
  }
}
