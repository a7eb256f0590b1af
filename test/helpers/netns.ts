/**
 * A network namespace for one test (Linux `ip netns`, as root): its own loopback, and one veth
 * link to the host. From inside, only the host's end of that link (`hostAddress`) is reachable —
 * not the host's loopback, where the SFU listens — so a browser started inside (`wrapper`) reaches
 * the media only through a relay on `hostAddress`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Netns {
  readonly name: string;
  /** The host's end of the link (what the namespace can reach). */
  readonly hostAddress: string;
  /** The namespace's own address. */
  readonly innerAddress: string;
  /** An executable that runs `command` inside the namespace with the arguments it is given. */
  wrapper(command: string): string;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export function createNetns(): Netns {
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root (ip netns); CI runs as root');
  const tag = Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0');
  const name = `recinto-${tag}`;
  const hostIf = `rv${tag}h`;
  const innerIf = `rv${tag}n`;
  // A /30 in 10.213.0.0/16 picked from the tag (the test's own, removed afterwards).
  const n = parseInt(tag, 16) % 16384;
  const base = `10.213.${Math.floor(n / 64)}.${(n % 64) * 4}`;
  const [a, b, c] = base.split('.');
  const d = Number(base.split('.')[3]);
  const hostAddress = `${a}.${b}.${c}.${d + 1}`;
  const innerAddress = `${a}.${b}.${c}.${d + 2}`;
  const dir = mkdtempSync(join(tmpdir(), 'recinto-netns-'));
  ip('netns', 'add', name);
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', innerIf);
    ip('link', 'set', innerIf, 'netns', name);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', name, 'addr', 'add', `${innerAddress}/30`, 'dev', innerIf);
    ip('-n', name, 'link', 'set', innerIf, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (error) {
    ip('netns', 'delete', name);
    throw error;
  }
  return {
    name,
    hostAddress,
    innerAddress,
    wrapper(command) {
      const file = join(dir, `in-${name}.sh`);
      writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${name} ${command} "$@"\n`);
      chmodSync(file, 0o755);
      return file;
    },
    remove() {
      try {
        ip('link', 'delete', hostIf);
      } catch {
        // gone with the namespace already
      }
      ip('netns', 'delete', name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
