import { Type } from '@sinclair/typebox';

/** A string restricted to `values`, emitted as JSON Schema `enum` so validators report one clear error. */
export function StringEnum<const T extends readonly string[]>(values: T) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}
