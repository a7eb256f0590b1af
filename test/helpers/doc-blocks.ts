/** The fenced blocks of a page of docs/ named after their language (```hex header), hex comments removed. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../server/config/load.ts';

export function docBlocks(page: string): Map<string, string> {
  const text = readFileSync(join(PROJECT_ROOT, 'docs', page), 'utf8');
  const blocks = new Map<string, string>();
  for (const [, lang, name, body] of text.matchAll(/^```(\w+) ([\w.-]+)\n([\s\S]*?)^```$/gm)) {
    blocks.set(name!, lang === 'hex' ? body!.replace(/#.*$/gm, '').replace(/\s+/g, '') : body!);
  }
  return blocks;
}
