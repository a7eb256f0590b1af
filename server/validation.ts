/**
 * The Ajv instances Recinto checks data against (config, signalling messages). Ajv rather than
 * TypeBox's own checker because Ajv compiles patterns with the `u` flag, which the display-name
 * rule (Unicode categories) needs.
 *
 * Untrusted data (signalling) is checked with `allErrors: false`: validation stops at the first
 * problem (per union branch), so a message made of thousands of invalid values costs no more than
 * one with a single bad value. The configuration, written by an admin, is checked with every
 * problem reported at once.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';

const options = { strict: true, coerceTypes: false, useDefaults: false } as const;
const firstError = new Ajv({ ...options, allErrors: false });
const everyError = new Ajv({ ...options, allErrors: true });

export type Validator<T extends TSchema> = ((data: unknown) => data is Static<T>) & {
  errors?: ErrorObject[] | null;
};

/** For untrusted input: stops at the first problem. */
export function compile<T extends TSchema>(schema: T): Validator<T> {
  return firstError.compile<Static<T>>(schema) as Validator<T>;
}

/** For trusted input that should be fixed in one go (the configuration): every problem. */
export function compileReportingAll<T extends TSchema>(schema: T): Validator<T> {
  return everyError.compile<Static<T>>(schema) as Validator<T>;
}

/** At most this many problems are described; the rest are counted ("… and N more"). */
export const MAX_DESCRIBED_ERRORS = 10;

/**
 * Ajv's errors as short sentences naming the offending path, e.g. "media.workers: must be <= 64".
 * Linear in the number of errors, and at most `limit` sentences (then "… and N more"): an
 * untrusted message with thousands of invalid values costs the same to answer as one with a few.
 */
export function describeErrors(errors: ErrorObject[] | null | undefined, root = '', limit = MAX_DESCRIBED_ERRORS): string[] {
  const list = errors ?? [];
  const { replaced, consumed } = collapseObjectUnions(list, root);
  const lines = new Set<string>();
  let more = 0;
  const add = (line: string) => {
    if (lines.has(line)) return;
    if (lines.size < limit) lines.add(line);
    else more++;
  };
  for (const e of list) {
    const instead = replaced.get(e);
    if (instead) for (const line of instead) add(line);
    else if (!consumed.has(e)) add(describeError(e, root));
  }
  return more > 0 ? [...lines, `… and ${more} more`] : [...lines];
}

/** `path` is `base` or below it (`/a/b1` is not below `/a/b`). */
function within(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}/`) || base === '';
}

function pathOf(instancePath: string, root: string): string {
  return [root, ...instancePath.split('/').filter(Boolean)].filter(Boolean).join('.');
}

function describeError(e: ErrorObject, root: string): string {
  const path = pathOf(e.instancePath, root);
  let detail = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return `${path ? `${path}.` : ''}${extra}: unknown key`;
  }
  if (e.keyword === 'const' || e.keyword === 'enum')
    detail = `must be one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)}`;
  return `${path || '(root)'}: ${detail}`;
}

/**
 * A union of strict objects (e.g. chat `{ text }` or `{ sealed }`) fails with every branch's
 * complaint. Report instead the branch that fits best (fewest missing or unknown keys); when two
 * fit equally, each off by one key, say "must have exactly one of" those keys.
 *
 * Ajv (allErrors) emits a failed union's branch errors as one contiguous run right before the
 * union's own error, so each union looks back over its own run only: every error is visited by
 * the unions that enclose it (bounded by the schema's depth), never by every other union.
 */
function collapseObjectUnions(list: ErrorObject[], root: string): { replaced: Map<ErrorObject, string[]>; consumed: Set<ErrorObject> } {
  const replaced = new Map<ErrorObject, string[]>();
  const consumed = new Set<ErrorObject>();
  for (let u = 0; u < list.length; u++) {
    const union = list[u]!;
    if (union.keyword !== 'anyOf' || consumed.has(union)) continue;
    const prefix = `${union.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    for (let i = u - 1; i >= 0; i--) {
      const e = list[i]!;
      if (!e.schemaPath.startsWith(prefix) || !within(e.instancePath, union.instancePath)) break;
      const index = e.schemaPath.slice(prefix.length).split('/', 1)[0]!;
      const branch = branches.get(index);
      if (branch) branch.unshift(e);
      else branches.set(index, [e]);
    }
    const isShape = (e: ErrorObject) => e.instancePath === union.instancePath && (e.keyword === 'required' || e.keyword === 'additionalProperties');
    const shapeErrors = (b: ErrorObject[]) => b.filter(isShape).length;
    const all = [...branches.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, b]) => b);
    if (all.length < 2 || all.every((b) => shapeErrors(b) === 0)) continue; // not a union of objects
    const best = Math.min(...all.map(shapeErrors));
    const tied = all.filter((b) => shapeErrors(b) === best);
    let lines: string[];
    if (tied.length === 1) {
      lines = tied[0]!.map((e) => describeError(e, root));
    } else if (best === 1) {
      const keys = tied.map((b) => {
        const e = b.find(isShape)!;
        return e.keyword === 'required'
          ? (e.params as { missingProperty: string }).missingProperty
          : (e.params as { additionalProperty: string }).additionalProperty;
      });
      lines = [`${pathOf(union.instancePath, root) || '(root)'}: must have exactly one of ${[...new Set(keys)].join(', ')}`];
      lines.push(...tied.flatMap((b) => b.filter((e) => !isShape(e)).map((e) => describeError(e, root))));
    } else {
      continue;
    }
    for (const b of all) for (const e of b) consumed.add(e);
    replaced.set(union, lines);
  }
  return { replaced, consumed };
}
