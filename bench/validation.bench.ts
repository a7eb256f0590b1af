/**
 * What the worst-case signalling message costs the server: a `produce` as large as accepted
 * (64 KiB) whose codec parameters are thousands of invalid values, validated and described as the
 * connection does it. Before the fix (all errors collected and a quadratic description) 1,500
 * such keys took 23 s; the whole 64 KiB of them minutes.
 */
import { Methods } from '../protocol/signaling.ts';
import { compile, describeErrors } from '../server/validation.ts';
import { summary } from './stats.ts';

export const name = 'validation';

const uuid = '0b8f8f9e-3c1a-4d2e-9f00-123456789abc';

function worstCase(): unknown {
  const parameters: Record<string, boolean> = {};
  let size = 300;
  for (let i = 0; size < 65_536; i++) {
    parameters[`k${i}`] = true;
    size += `k${i}`.length + 8;
  }
  return {
    transportId: uuid,
    kind: 'audio',
    source: 'microphone',
    rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, parameters }] },
  };
}

export async function run(): Promise<string[]> {
  const validate = compile(Methods.produce.params);
  const message = worstCase();
  const text = JSON.stringify(message);
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    const params: unknown = JSON.parse(text);
    if (!validate(params)) describeErrors(validate.errors, 'params');
    times.push(performance.now() - started);
  }
  return [`${summary('signalling_worst_case_message_ms', times, 3)} bytes=${text.length}`];
}
