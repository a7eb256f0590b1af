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
  return (errors ?? []).map((e) => {
    const path = [root, ...e.instancePath.split('/').filter(Boolean)].filter(Boolean).join('.');
    let detail = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      return `${path ? `${path}.` : ''}${extra}: unknown key`;
    }
    if (e.keyword === 'const' || e.keyword === 'enum') detail = `must be one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)}`;
    return `${path || '(root)'}: ${detail}`;
  });
}

