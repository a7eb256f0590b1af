/**
 * A minimal TURN client over UDP (RFC 8656 / RFC 5766, STUN RFC 8489), enough to test a real
 * coturn: Allocate with long-term credentials (401 → realm and nonce → retry with
 * MESSAGE-INTEGRITY), CreatePermission towards a peer, and the error code the server answers.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ipv4ToNumber, ipv6ToBigInt } from '../../server/turn/special-ranges.ts';

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const CREATE_PERMISSION = 0x0008;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  XOR_PEER_ADDRESS: 0x0012,
  REALM: 0x0014,
  NONCE: 0x0015,
  REQUESTED_ADDRESS_FAMILY: 0x0017,
  REQUESTED_TRANSPORT: 0x0019,
} as const;

type Attr = { type: number; value: Buffer };
export type TurnAnswer = { ok: true } | { ok: false; code: number; reason: string };

function encode(method: number, tid: Buffer, attrs: Attr[], integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(attrs.map(attrBytes));
  const header = (length: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(method, 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(MAGIC, 4);
    tid.copy(h, 8);
    return h;
  };
  if (!integrityKey) return Buffer.concat([header(body.length), body]);
  // MESSAGE-INTEGRITY covers the message up to itself, with the length counting it (24 bytes).
  const covered = Buffer.concat([header(body.length + 24), body]);
  const mac = createHmac('sha1', integrityKey).update(covered).digest();
  return Buffer.concat([covered, attrBytes({ type: ATTR.MESSAGE_INTEGRITY, value: mac })]);
}

function attrBytes({ type, value }: Attr): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

function decode(message: Buffer): { type: number; tid: Buffer; attrs: Map<number, Buffer> } {
  const type = message.readUInt16BE(0);
  const length = message.readUInt16BE(2);
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= 20 + length;) {
    const t = message.readUInt16BE(at);
    const len = message.readUInt16BE(at + 2);
    attrs.set(t, message.subarray(at + 4, at + 4 + len));
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type, tid: message.subarray(8, 20), attrs };
}

function xorPeerAddress(peer: string, port: number, tid: Buffer): Buffer {
  const v6 = isIPv6(peer);
  const value = Buffer.alloc(v6 ? 20 : 8);
  value.writeUInt8(v6 ? 0x02 : 0x01, 1);
  value.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  if (!v6) {
    value.writeUInt32BE((ipv4ToNumber(peer) ^ MAGIC) >>> 0, 4);
  } else {
    const address = ipv6ToBigInt(peer);
    const mask = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), tid]);
    for (let i = 0; i < 16; i++) value[4 + i] = Number((address >> BigInt((15 - i) * 8)) & 0xffn) ^ mask[i]!;
  }
  return value;
}

export class TurnClient {
  readonly #socket: Socket;
  readonly #server: { address: string; port: number };
  readonly #pending = new Map<string, (m: Buffer) => void>();
  #auth: { username: string; realm: string; nonce: string; key: Buffer } | null = null;

  private constructor(socket: Socket, server: { address: string; port: number }) {
    this.#socket = socket;
    this.#server = server;
    socket.on('message', (m) => {
      if (m.length < 20) return;
      this.#pending.get(m.subarray(8, 20).toString('hex'))?.(m);
    });
  }

  static async open(address: string, port: number): Promise<TurnClient> {
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    return new TurnClient(socket, { address, port });
  }

  /** An allocation (UDP relay) of `family`, with these credentials. */
  async allocate(username: string, password: string, family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<TurnAnswer> {
    const attrs: Attr[] = [{ type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) }];
    if (family === 'ipv6') attrs.push({ type: ATTR.REQUESTED_ADDRESS_FAMILY, value: Buffer.from([0x02, 0, 0, 0]) });
    const first = await this.#request(ALLOCATE, attrs);
    if (first.ok) return first.answer;
    const realm = first.attrs.get(ATTR.REALM)?.toString('utf8');
    const nonce = first.attrs.get(ATTR.NONCE)?.toString('utf8');
    if (first.answer.ok || first.answer.code !== 401 || !realm || !nonce) return first.answer;
    const key = createHash('md5').update(`${username}:${realm}:${password}`).digest();
    this.#auth = { username, realm, nonce, key };
    return (await this.#request(ALLOCATE, attrs, true)).answer;
  }

  /** Asks the relay to let traffic from `peer` through (what a browser does before sending to it). */
  async createPermission(peer: string): Promise<TurnAnswer> {
    const tid = randomBytes(12);
    return (await this.#request(CREATE_PERMISSION, [{ type: ATTR.XOR_PEER_ADDRESS, value: xorPeerAddress(peer, 9, tid) }], true, tid)).answer;
  }

  close(): void {
    this.#socket.close();
  }

  async #request(
    method: number,
    attrs: Attr[],
    signed = false,
    tid = randomBytes(12),
  ): Promise<{ ok: boolean; answer: TurnAnswer; attrs: Map<number, Buffer> }> {
    const auth = this.#auth;
    const all =
      signed && auth
        ? [
            ...attrs,
            { type: ATTR.USERNAME, value: Buffer.from(auth.username) },
            { type: ATTR.REALM, value: Buffer.from(auth.realm) },
            { type: ATTR.NONCE, value: Buffer.from(auth.nonce) },
          ]
        : attrs;
    const message = encode(method, tid, all, signed && auth ? auth.key : undefined);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const key = tid.toString('hex');
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(new Error(`no TURN answer to 0x${method.toString(16)} within 3 s`));
      }, 3000);
      this.#pending.set(key, (m) => {
        clearTimeout(timer);
        this.#pending.delete(key);
        resolve(m);
      });
      this.#socket.send(message, this.#server.port, this.#server.address);
    });
    const { type, attrs: got } = decode(reply);
    // Success responses have class bits 10 (0x0100), errors 11 (0x0110).
    if ((type & 0x0110) === 0x0100) return { ok: true, answer: { ok: true }, attrs: got };
    const error = got.get(ATTR.ERROR_CODE);
    const code = error ? (error[2]! & 0x07) * 100 + error[3]! : 0;
    return { ok: false, answer: { ok: false, code, reason: error ? error.subarray(4).toString('utf8') : '' }, attrs: got };
  }
}
