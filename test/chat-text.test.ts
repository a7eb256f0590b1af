/** Which parts of a chat message become links: only full `https:` addresses, nothing else. */
import { describe, expect, it } from 'vitest';
import { chatSegments, isChatText, safeHttpsUrl, type ChatSegment } from '../client/src/chat-text.ts';

const links = (text: string) => chatSegments(text).filter((s): s is Extract<ChatSegment, { kind: 'link' }> => s.kind === 'link');
const joined = (segments: ChatSegment[]) => segments.map((s) => s.text).join('');

describe('chat text', () => {
  it('links an https address and keeps the text around it', () => {
    expect(chatSegments('Mire https://example.org/x por favor')).toEqual([
      { kind: 'text', text: 'Mire ' },
      { kind: 'link', text: 'https://example.org/x', href: 'https://example.org/x' },
      { kind: 'text', text: ' por favor' },
    ]);
    expect(chatSegments('https://example.org')).toEqual([{ kind: 'link', text: 'https://example.org', href: 'https://example.org/' }]);
    expect(links('HTTPS://Example.ORG/Ruta?q=1#a')).toEqual([{ kind: 'link', text: 'HTTPS://Example.ORG/Ruta?q=1#a', href: 'https://example.org/Ruta?q=1#a' }]);
  });

  it('leaves every other kind of address as plain text', () => {
    for (const text of [
      'http://example.org/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'JaVaScRiPt:alert(document.cookie)',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      '\\\\server\\share',
      '\\\\server\\share\\https://example.org',
      '//example.org/x',
      'ftp://example.org',
      'vbscript:msgbox',
      'www.example.org',
      'https:example.org',
      'https:/example.org',
      'https:\\\\example.org',
      'https://',
      'https:// example.org',
    ]) {
      expect(chatSegments(text), text).toEqual([{ kind: 'text', text }]);
    }
  });

  it('only links https in a message that mixes kinds', () => {
    const text = 'Enlaces: https://example.org/x \\\\server\\share file:///etc/passwd http://example.net';
    expect(links(text).map((l) => l.href)).toEqual(['https://example.org/x']);
    expect(joined(chatSegments(text))).toBe(text);
  });

  it('refuses addresses with a user name or password (one site shown, another opened)', () => {
    expect(links('https://bank.example@evil.example/')).toEqual([]);
    expect(links('https://user:pass@example.org/')).toEqual([]);
    expect(safeHttpsUrl('https://example.org/')).toBe('https://example.org/');
    expect(safeHttpsUrl('https://a@example.org/')).toBeNull();
  });

  it('ends an address at sentence punctuation, but keeps brackets it opened', () => {
    expect(links('Vea https://example.org/x.').map((l) => l.text)).toEqual(['https://example.org/x']);
    expect(links('(https://example.org/x), y').map((l) => l.text)).toEqual(['https://example.org/x']);
    expect(links('https://es.wikipedia.org/wiki/Ñandú_(ave)').map((l) => l.text)).toEqual(['https://es.wikipedia.org/wiki/Ñandú_(ave)']);
    expect(links('¿https://example.org/a?').map((l) => l.text)).toEqual(['https://example.org/a']);
    expect(links('«https://example.org/a»').map((l) => l.text)).toEqual(['https://example.org/a']);
  });

  it('ends an address at quotes, angle brackets, backslashes and invisible characters', () => {
    expect(links('"https://example.org/a"<b>').map((l) => l.text)).toEqual(['https://example.org/a']);
    expect(links('https://example.org\\@evil.example').map((l) => l.text)).toEqual(['https://example.org']);
    // A right-to-left override would make the address read differently from where it goes.
    expect(links('https://example.org/\u202Egpj.exe').map((l) => l.text)).toEqual(['https://example.org/']);
    expect(links('https://example.org/\u200Bx').map((l) => l.text)).toEqual(['https://example.org/']);
  });

  it('does not link https:// glued to the end of another word or scheme', () => {
    expect(links('xhttps://example.org')).toEqual([]);
    expect(links('javascript:https://example.org')).toEqual([]);
    expect(links('//https://example.org')).toEqual([]);
  });

  it('finds several links and keeps every character of the message', () => {
    const text = 'a https://one.example b\nhttps://two.example/p?x=<1> c';
    expect(links(text).map((l) => l.href)).toEqual(['https://one.example/', 'https://two.example/p?x=']);
    expect(joined(chatSegments(text))).toBe(text);
    expect(chatSegments('')).toEqual([]);
  });
});

describe('isChatText (what a recipient accepts from sealed chat)', () => {
  it('takes 1 to 2000 characters with something other than white space, counting characters, not UTF-16 units', () => {
    expect(isChatText('hola')).toBe(true);
    expect(isChatText('🔒'.repeat(2000))).toBe(true);
    expect(isChatText('🔒'.repeat(2001))).toBe(false);
    expect(isChatText('')).toBe(false);
    expect(isChatText(' \n\t ')).toBe(false);
  });
});
