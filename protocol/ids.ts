/** Ids and names on the wire, shared by the signalling protocol and the HTTP API. */
import { Type } from '@sinclair/typebox';

/** Meeting ids: lowercase letters and digits without look-alikes, dash-separated groups. */
export const MeetingId = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', minLength: 3, maxLength: 64 });
/** Ids the server hands out (participants, transports, producers, consumers): UUIDs. */
export const ObjectId = Type.String({ maxLength: 36, pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
/**
 * A display name: 1–64 characters, no control or format characters (no bidi overrides), no lone
 * surrogates (not text in any encoding), no leading/trailing space. Rendered as text only, never as HTML.
 */
export const DisplayName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^(?!\\s)[^\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}]*(?<!\\s)$',
});

/** A meeting title: printable text with at least one non-space character; no control or format characters, no lone surrogates. */
export const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '^(?=.*\\S)[^\\p{Cc}\\p{Cf}\\p{Cs}]+$' });
