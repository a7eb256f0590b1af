/**
 * Chat text split into plain text and links, for rendering as text nodes and <a> elements (never
 * as HTML). Only `https:` URLs written out in full become links; everything else — `http:`,
 * `file:`, `javascript:`, `data:`, UNC paths (`\\host\share`), scheme-relative `//host` — stays
 * plain text. A candidate must parse as a URL with a host and without user name or password
 * (`https://bank.example@evil.example` reads as one site and goes to another), and it ends at
 * white space, quotes, angle brackets, backslashes and invisible (control or format) characters,
 * so the text shown is the address the link opens. Pure: no DOM, unit-tested in
 * test/chat-text.test.ts.
 */

/** The server's limit for chat text (protocol/signaling.ts ChatText), in characters. */
export const CHAT_MAX_LENGTH = 2000;

/**
 * What the server requires of plaintext chat (1 to CHAT_MAX_LENGTH characters, not only white
 * space), checked by the recipient for sealed chat, which the server cannot read.
 */
export function isChatText(text: string): boolean {
  const length = [...text].length;
  return length >= 1 && length <= CHAT_MAX_LENGTH && /\S/u.test(text);
}

export type ChatSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** `https://` and what may follow in an address; the `u` flag makes \p{…} classes work. */
const CANDIDATE = /https:\/\/[^\s\\<>"'`\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/giu;
/** A letter, digit or one of these right before `https://` means it is part of a longer word or path. */
const WORD_BEFORE = /[\p{L}\p{N}_\-+.@/:\\]/u;
/** Punctuation that ends a sentence rather than an address. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '»', '”', '’', '*', '¡', '¿']);

function count(text: string, ch: string): number {
  let n = 0;
  for (const c of text) if (c === ch) n++;
  return n;
}

/** Drops sentence punctuation from the end, but keeps a closing bracket the address opened. */
function trimTrailing(candidate: string): string {
  let out = candidate;
  while (out.length > 0) {
    const last = out.at(-1)!;
    if (!TRAILING.has(last)) break;
    if (last === ')' && count(out, '(') >= count(out, ')')) break;
    if (last === ']' && count(out, '[') >= count(out, ']')) break;
    out = out.slice(0, -1);
  }
  return out;
}

/** The link target for a candidate, or null when it must stay text. */
export function safeHttpsUrl(candidate: string): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '') return null;
  return url.href;
}

export function chatSegments(text: string): ChatSegment[] {
  const segments: ChatSegment[] = [];
  const pushText = (t: string) => {
    if (t === '') return;
    const last = segments.at(-1);
    if (last?.kind === 'text') last.text += t;
    else segments.push({ kind: 'text', text: t });
  };
  let done = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const before = start > 0 ? text[start - 1]! : '';
    if (before !== '' && WORD_BEFORE.test(before)) continue;
    const candidate = trimTrailing(match[0]);
    const href = safeHttpsUrl(candidate);
    if (!href) continue;
    pushText(text.slice(done, start));
    segments.push({ kind: 'link', text: candidate, href });
    done = start + candidate.length;
  }
  pushText(text.slice(done));
  return segments;
}
