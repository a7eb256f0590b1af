import { describe, expect, it } from 'vitest';
import { DisplayName, Methods, RequestEnvelope } from '../server/signaling/protocol.ts';
import { compile } from '../server/validation.ts';

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
    expect(connect({ transportId: uuid, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('AB').join(':') }] } })).toBe(true);
    expect(connect({ transportId: uuid, dtlsParameters: { fingerprints: [{ algorithm: 'md5', value: 'AB' }] } })).toBe(false);
  });
});
