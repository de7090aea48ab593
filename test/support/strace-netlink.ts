/**
 * Reads back the bytes of one netlink message from strace's decoded form
 * (`strace -x -s 4096 -e trace=sendto`), as captured into test/fixtures/netlink/:
 * the header fields, the nfgenmsg and every attribute with its raw payload.
 */

/** One message as strace printed it. */
export interface StracedMessage {
  /** nlmsg_type's command (the part after `<<8|`), as printed. */
  readonly command: string;
  readonly flags: readonly string[];
  readonly family: string;
  /** Everything after the 16-byte header: nfgenmsg and attributes, as sent. */
  readonly payload: Buffer;
}

const NLA_FLAGS: Readonly<Record<string, number>> = { NLA_F_NESTED: 0x8000, NLA_F_NET_BYTEORDER: 0x4000 };
/** nfgen_family as strace names it (NFPROTO_INET is 1, printed as AF_UNIX). */
const FAMILIES: Readonly<Record<string, number>> = { AF_UNSPEC: 0, AF_UNIX: 1, AF_INET: 2, AF_INET6: 10 };

function attrType(text: string): number {
  return text.split('|').reduce((t, part) => t | (NLA_FLAGS[part] ?? Number(part)), 0);
}

/**
 * Parses one `sendto(fd, [{nlmsg_len=…}, {nfgen_family=…}, [attributes]], …)` line, or the
 * message of type `command` (e.g. `NFT_MSG_NEWSETELEM`) in a sendmsg carrying a batch.
 */
export function parseStracedMessage(whole: string, command?: string): StracedMessage {
  let line = whole;
  if (command !== undefined) {
    const at = whole.indexOf(`|${command},`);
    const start = whole.lastIndexOf('[{nlmsg_len=', at);
    const end = whole.indexOf('[{nlmsg_len=', at);
    line = whole.slice(start, end < 0 ? undefined : end);
  }
  const head = /nlmsg_type=[A-Z_]+<<8\|([A-Z_]+), nlmsg_flags=([A-Z_|]+),/.exec(line);
  const gen = /\{nfgen_family=([A-Z0-9_]+), version=NFNETLINK_V0, res_id=htons\((\d+)\)\}/.exec(line);
  if (!head || !gen) throw new Error(`not a decoded nfnetlink sendto: ${line.slice(0, 120)}`);
  const parts: Buffer[] = [Buffer.from([FAMILIES[gen[1]!] ?? NaN, 0, Number(gen[2]) >> 8, Number(gen[2]) & 255])];
  for (const m of line.matchAll(/\{nla_len=(\d+), nla_type=([A-Za-z0-9_|]+)\}, "((?:\\x[0-9a-f]{2})*)"/g)) {
    const data = Buffer.from(m[3]!.replace(/\\x/g, ''), 'hex');
    const len = Number(m[1]);
    if (len !== 4 + data.length) throw new Error(`attribute length ${len} does not match its ${data.length} bytes`);
    const h = Buffer.alloc(4);
    h.writeUInt16LE(len, 0);
    h.writeUInt16LE(attrType(m[2]!), 2);
    parts.push(h, data, Buffer.alloc((4 - (len % 4)) % 4));
  }
  return { command: head[1]!, flags: head[2]!.split('|'), family: gen[1]!, payload: Buffer.concat(parts) };
}
