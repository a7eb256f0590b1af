import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { DisplayName } from '../protocol/ids.ts';
import { Methods, Notifications, RequestEnvelope } from '../protocol/signaling.ts';
import { compile, describeErrors, MAX_DESCRIBED_ERRORS } from '../server/validation.ts';

const uuid = '0b8f8f9e-3c1a-4d2e-9f00-123456789abc';

describe('signalling protocol schemas', () => {
  const envelope = compile(RequestEnvelope);

  it('accepts a well-formed request envelope and refuses others', () => {
    expect(envelope({ id: 1, method: 'join', params: {} })).toBe(true);
    expect(envelope({ id: 0, method: 'join' })).toBe(false);
    expect(envelope({ id: 1.5, method: 'join' })).toBe(false);
    expect(envelope({ id: 1, method: '' })).toBe(false);
    expect(envelope({ id: 1, method: 'join', extra: true })).toBe(false);
    expect(envelope([1, 'join'])).toBe(false);
  });

  it('display names: printable, 1–64 characters, no control or bidi-override characters', () => {
    const name = compile(DisplayName);
    expect(name('Ana Pérez')).toBe(true);
    expect(name('李小龍')).toBe(true);
    expect(name('')).toBe(false);
    expect(name(' Ana')).toBe(false);
    expect(name('Ana\n')).toBe(false);
    expect(name('Ana\u202Eevil')).toBe(false);
    expect(name('Ana\ud800')).toBe(false); // a lone surrogate
    expect(name('Ana 😀')).toBe(true); // a surrogate pair is a character
    expect(name('x'.repeat(65))).toBe(false);
  });

  it('join params: meeting id format, the E2EE capability, no unknown fields (no chosen display name)', () => {
    const join = compile(Methods.join.params);
    expect(join({ meetingId: 'abcd-efgh-jkmn-pqrt', e2ee: true })).toBe(true);
    expect(join({ meetingId: 'abcd-efgh-jkmn-pqrt', e2ee: false })).toBe(true);
    expect(join({ meetingId: 'abcd-efgh-jkmn-pqrt' })).toBe(false);
    expect(join({ meetingId: 'abcd-efgh-jkmn-pqrt', e2ee: 'yes' })).toBe(false);
    expect(join({ meetingId: '../etc', e2ee: true })).toBe(false);
    expect(join({ meetingId: 'a'.repeat(65), e2ee: true })).toBe(false);
    expect(join({ meetingId: 'abcd', e2ee: true, admin: true })).toBe(false);
    expect(join({ meetingId: 'abcd', e2ee: true, displayName: 'Somebody Else' })).toBe(false);
  });

  it('media params: ids are UUIDs, kinds and sources are closed sets', () => {
    const produce = compile(Methods.produce.params);
    const rtpParameters = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }] };
    expect(produce({ transportId: uuid, kind: 'audio', source: 'microphone', rtpParameters })).toBe(true);
    expect(produce({ transportId: 'not-a-uuid', kind: 'audio', source: 'microphone', rtpParameters })).toBe(false);
    expect(produce({ transportId: uuid, kind: 'data', source: 'microphone', rtpParameters })).toBe(false);
    expect(produce({ transportId: uuid, kind: 'audio', source: 'file', rtpParameters })).toBe(false);
    expect(produce({ transportId: uuid, kind: 'audio', source: 'microphone', rtpParameters: { codecs: [] } })).toBe(false);
    const connect = compile(Methods.connectTransport.params);
    expect(
      connect({ transportId: uuid, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }] } }),
    ).toBe(true);
    expect(connect({ transportId: uuid, dtlsParameters: { fingerprints: [{ algorithm: 'md5', value: 'AB' }] } })).toBe(false);
  });
});

/** Every array, record and string reachable from a schema, with its path. */
function* walk(schema: unknown, path: string): Generator<{ path: string; node: Record<string, unknown> }> {
  if (!schema || typeof schema !== 'object') return;
  const node = schema as Record<string, unknown>;
  yield { path, node };
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' || key === 'patternProperties') for (const [name, sub] of Object.entries(value as object)) yield* walk(sub, `${path}.${name}`);
    else if (key === 'items' || key === 'additionalProperties') yield* walk(value, `${path}[]`);
    else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') for (const sub of value as unknown[]) yield* walk(sub, path);
  }
}

describe('bounds: every untrusted message has a size the server can afford', () => {
  it('every array, record and string in request params is bounded', () => {
    const unbounded: string[] = [];
    for (const [method, m] of Object.entries(Methods)) {
      for (const { path, node } of walk(m.params, method)) {
        if (node.type === 'array' && node.maxItems === undefined) unbounded.push(`${path}: array without maxItems`);
        if (node.type === 'object' && node.patternProperties && node.maxProperties === undefined) unbounded.push(`${path}: record without maxProperties`);
        if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined && node.const === undefined)
          unbounded.push(`${path}: string without maxLength`);
      }
    }
    expect(unbounded).toEqual([]);
  });

  it('outgoing lists are bounded too (a client can rely on it)', () => {
    const unbounded: string[] = [];
    for (const [name, schema] of [...Object.entries(Notifications), ...Object.entries(Methods).map(([n, m]) => [n, m.result] as const)]) {
      for (const { path, node } of walk(schema, name)) if (node.type === 'array' && node.maxItems === undefined) unbounded.push(path);
    }
    expect(unbounded).toEqual([]);
  });

  it('codec parameters hold at most 32 keys', () => {
    const produce = compile(Methods.produce.params);
    const withKeys = (n: number) => ({
      transportId: uuid,
      kind: 'audio',
      source: 'microphone',
      rtpParameters: {
        codecs: [
          { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, parameters: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1])) },
        ],
      },
    });
    expect(produce(withKeys(32))).toBe(true);
    expect(produce(withKeys(33))).toBe(false);
  });

  it('describing thousands of errors is linear and stops after a few', () => {
    const errors = (n: number): ErrorObject[] =>
      Array.from({ length: n }, (_, i) => [
        { instancePath: `/p/k${i}`, schemaPath: '#/anyOf/0/type', keyword: 'type', params: { type: 'string' }, message: 'must be string' },
        { instancePath: `/p/k${i}`, schemaPath: '#/anyOf/1/type', keyword: 'type', params: { type: 'number' }, message: 'must be number' },
        { instancePath: `/p/k${i}`, schemaPath: '#/anyOf', keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' },
      ]).flat();
    const time = (n: number) => {
      const list = errors(n);
      const started = performance.now();
      const lines = describeErrors(list, 'params');
      return { ms: performance.now() - started, lines };
    };
    const large = time(20_000); // 60,000 errors: quadratic work took 23 s for 4,500 of them
    expect(large.lines.length).toBe(MAX_DESCRIBED_ERRORS + 1);
    expect(large.lines.at(-1)).toMatch(/^… and \d+ more$/);
    // A bound no loaded machine misses and no quadratic description meets (the figure is in bench/).
    expect(large.ms).toBeLessThan(2000);
  });
});
