/**
 * One Ajv instance for every schema Recinto checks untrusted data against (config, signalling
 * messages). Ajv rather than TypeBox's own checker because Ajv compiles patterns with the `u`
 * flag, which the display-name rule (Unicode categories) needs.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';

const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false });

export type Validator<T extends TSchema> = ((data: unknown) => data is Static<T>) & {
  errors?: ErrorObject[] | null;
};

export function compile<T extends TSchema>(schema: T): Validator<T> {
  return ajv.compile(schema) as ValidateFunction<Static<T>> as Validator<T>;
}

/** Ajv's errors as short sentences naming the offending path, e.g. "media.workers: must be <= 64". */
export function describeErrors(errors: ErrorObject[] | null | undefined, root = ''): string[] {
  const list = errors ?? [];
  const { replaced, consumed } = collapseObjectUnions(list, root);
  const lines: string[] = [];
  for (const e of list) {
    if (replaced.has(e)) lines.push(...replaced.get(e)!);
    else if (!consumed.has(e)) lines.push(describeError(e, root));
  }
  return [...new Set(lines)];
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
  if (e.keyword === 'const' || e.keyword === 'enum') detail = `must be one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)}`;
  return `${path || '(root)'}: ${detail}`;
}

/**
 * A union of strict objects (e.g. chat `{ text }` or `{ sealed }`) fails with every branch's
 * complaint. Report instead the branch that fits best (fewest missing or unknown keys); when two
 * fit equally, each off by one key, say "must have exactly one of" those keys.
 */
function collapseObjectUnions(list: ErrorObject[], root: string): { replaced: Map<ErrorObject, string[]>; consumed: Set<ErrorObject> } {
  const replaced = new Map<ErrorObject, string[]>();
  const consumed = new Set<ErrorObject>();
  for (const union of list) {
    if (union.keyword !== 'anyOf' || consumed.has(union)) continue;
    const prefix = `${union.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of list) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const index = e.schemaPath.slice(prefix.length).split('/')[0]!;
      branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    const isShape = (e: ErrorObject) => e.instancePath === union.instancePath && (e.keyword === 'required' || e.keyword === 'additionalProperties');
    const shapeErrors = (b: ErrorObject[]) => b.filter(isShape).length;
    const all = [...branches.values()];
    if (all.length < 2 || all.every((b) => shapeErrors(b) === 0)) continue; // not a union of objects
    const best = Math.min(...all.map(shapeErrors));
    const tied = all.filter((b) => shapeErrors(b) === best);
    let lines: string[];
    if (tied.length === 1) {
      lines = tied[0]!.map((e) => describeError(e, root));
    } else if (best === 1) {
      const keys = tied.map((b) => {
        const e = b.find(isShape)!;
        return e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : (e.params as { additionalProperty: string }).additionalProperty;
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
