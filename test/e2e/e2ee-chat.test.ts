/**
 * Chat in an end-to-end encrypted meeting, with real Chromium and the real server: messages to
 * everyone and to one person arrive and show as text, yet the text never reaches the server. The
 * text is made up inside the sender's browser (so this test process, which also runs the server,
 * never holds it until the end); the test then reads every WebSocket message the server received,
 * every log line (at trace level) and a heap snapshot of the process, and finds the text in none of
 * them — while the same searches do find a marker the server really holds (the meeting title).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeHeapSnapshot } from 'node:v8';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { WebSocketServer } from 'ws';
import { signedInBrowser, type SignedInBrowser } from '../helpers/browser.ts';
import { joinMeeting, screenshot } from '../helpers/page.ts';
import { OPEN_POLICY, startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

let server: TestServer;
const logLines: string[] = [];
const received: string[] = [];
let ana: SignedInBrowser;
let bea: SignedInBrowser;
let cris: SignedInBrowser;
const dir = mkdtempSync(join(tmpdir(), 'recinto-chat-'));

beforeAll(async () => {
  const logTo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  server = await startTestServer({ log: { level: 'trace' } }, { logTo });
  // Every WebSocket message the server receives, as the bytes it got.
  const wss = (server.recinto.app as unknown as { websocketServer: WebSocketServer }).websocketServer;
  wss.on('connection', (socket) => socket.on('message', (data) => received.push(Buffer.from(data as Buffer).toString('utf8'))));
  const [ua, ub, uc] = await Promise.all([
    server.createUser('ana', { displayName: 'Ana' }),
    server.createUser('bea', { displayName: 'Bea' }),
    server.createUser('cris', { displayName: 'Cris' }),
  ]);
  [ana, bea, cris] = await Promise.all([signedInBrowser(server, ua), signedInBrowser(server, ub), signedInBrowser(server, uc)]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([ana?.close(), bea?.close(), cris?.close()]);
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/**
 * Makes up a message inside the page (kept in `window.__secrets`, never returned) and sends it
 * through the chat form, to everyone or to one participant.
 */
function sendSecret(page: Page, to: string): Promise<void> {
  return page.evaluate(async (recipient) => {
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
    const text = `clave-del-informe ${hex}`;
    const w = window as unknown as { __secrets?: string[] };
    (w.__secrets ??= []).push(text);
    const select = document.querySelector<HTMLSelectElement>('#chat-to')!;
    select.value = recipient;
    select.dispatchEvent(new Event('change'));
    const input = document.querySelector<HTMLTextAreaElement>('#chat-input')!;
    input.value = text;
    input.dispatchEvent(new Event('input'));
    const form = document.querySelector<HTMLFormElement>('#chat-form')!;
    form.requestSubmit();
    // Sent once the form is no longer busy (it takes one message at a time).
    while (form.getAttribute('aria-busy') === 'true') await new Promise((r) => setTimeout(r, 20));
  }, to);
}

/** How many chat entries on `page` contain one of `from`'s secrets (compared inside the browsers). */
async function shownSecrets(page: Page, secrets: string[]): Promise<number> {
  return page.evaluate((list) => {
    const shown = [...document.querySelectorAll('#chat-log li')].map((li) => li.textContent ?? '');
    return list.filter((s) => shown.some((text) => text.includes(s))).length;
  }, secrets);
}

describe('end-to-end encrypted chat', () => {
  it('delivers chat to everyone and to one person while the server never sees the text', async () => {
    onTestFailed(() => console.log([...ana.logs, ...bea.logs, ...cris.logs].join('\n')));
    // ASCII: the snapshot escapes other characters.
    const title = `Comite ${Math.random().toString(36).slice(2, 10)}`;
    const meetingId = server.createMeeting(title, { policy: OPEN_POLICY });
    await joinMeeting(ana.page, server.url, meetingId);
    const idBea = await joinMeeting(bea.page, server.url, meetingId);
    await joinMeeting(cris.page, server.url, meetingId);
    await waitFor(
      async () => (await Promise.all([ana, bea, cris].map((b) => b.page.evaluate(() => window.recinto.e2ee())))).every((v) => v?.complete),
      15_000,
      {
        message: 'everyone keyed',
      },
    );

    await sendSecret(ana.page, '');
    await sendSecret(ana.page, idBea);
    // Wait for delivery without the test learning the texts: count matches inside the pages.
    const probe = (page: Page) =>
      page.evaluate(() => [...document.querySelectorAll('#chat-log li')].filter((li) => li.textContent?.includes('clave-del-informe')).length);
    await waitFor(async () => (await probe(bea.page)) === 2 && (await probe(cris.page)) === 1, 10_000, { message: 'chat delivered' });

    // Everything the server could have kept, captured before the test reads the texts.
    const snapshot = writeHeapSnapshot(join(dir, 'server.heapsnapshot'));
    const heap = readFileSync(snapshot);
    const logs = logLines.join('');
    const wire = received.join('\n');

    const secrets = await ana.page.evaluate(() => (window as unknown as { __secrets: string[] }).__secrets);
    expect(secrets).toHaveLength(2);
    // Delivered and shown as sent: both at Bea, only the one to everyone at Cris.
    expect(await shownSecrets(bea.page, secrets)).toBe(2);
    expect(await shownSecrets(cris.page, secrets)).toBe(1);
    expect(await shownSecrets(cris.page, [secrets[1]!])).toBe(0);
    await screenshot(bea.page, 'e2ee-chat');

    // The searches work: they find what the server does hold.
    expect(heap.includes(Buffer.from(title, 'utf8'))).toBe(true);
    expect(wire).toContain('"sendChat"');
    expect(wire).toContain('"sealed"');
    expect(logs).toContain(meetingId);
    // ...and never the chat text, nor any distinctive part of it.
    for (const secret of secrets) {
      const hex = secret.split(' ')[1]!;
      for (const needle of [secret, hex]) {
        expect(wire.includes(needle), 'in the WebSocket messages the server received').toBe(false);
        expect(logs.includes(needle), 'in the server log').toBe(false);
        expect(heap.includes(Buffer.from(needle, 'utf8')), 'in the server process memory').toBe(false);
      }
    }
    expect(wire).not.toContain('clave-del-informe');
  }, 120_000);
});
