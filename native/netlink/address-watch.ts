/**
 * This host's addresses, kept current from rtnetlink: one RTM_GETADDR dump at
 * open, then RTM_NEWADDR / RTM_DELADDR events of the RTNLGRP_IPV4_IFADDR and
 * RTNLGRP_IPV6_IFADDR groups. Unlike getifaddrs() as Node reports it, an
 * address on an interface without carrier (or down) counts too. `addresses()`
 * reads the events queued so far first, so an address added a moment ago is
 * known before the next decision is checked against it.
 */
import { NetlinkSocket, NLM_F, type NetlinkMessage } from './socket.js';
import { decodeAttrs } from './attributes.js';
import { bytesText } from '../../src/core/ip-text.js';

const NETLINK_ROUTE = 0;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
const RTNLGRP_IPV4_IFADDR = 5;
const RTNLGRP_IPV6_IFADDR = 9;
const AF_INET = 2;
const AF_INET6 = 10;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
/** Length of struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index }. */
const IFADDRMSG_LEN = 8;
/** A watch that cannot read events falls back to a fresh dump after this long (ms). */
const REDUMP_MS = 1000;

/** One address message: its interface index and address text, or null when it carries none we use. */
function parseAddr(m: NetlinkMessage): { key: string; addr: string } | null {
  if (m.payload.length < IFADDRMSG_LEN) return null;
  const family = m.payload.readUInt8(0);
  if (family !== AF_INET && family !== AF_INET6) return null;
  const index = m.payload.readUInt32LE(4);
  const attrs = decodeAttrs(m.payload.subarray(IFADDRMSG_LEN));
  // IPv4 point-to-point links put the peer in IFA_ADDRESS and our own in IFA_LOCAL.
  const raw = (family === AF_INET ? attrs.get(IFA_LOCAL) : undefined) ?? attrs.get(IFA_ADDRESS);
  if (!raw || raw.length !== (family === AF_INET ? 4 : 16)) return null;
  const addr = bytesText(raw);
  return { key: `${index} ${addr}`, addr };
}

/** The live set of this host's addresses. */
export class AddressWatch {
  /** `ifindex address` → address (one address may sit on several interfaces). */
  private readonly held = new Map<string, string>();
  private stale = false;
  private lastDump = 0;

  private constructor(private readonly sock: NetlinkSocket, private readonly now: () => number) {
    sock.onNotification((m) => this.apply(m));
    sock.onLost(() => { this.stale = true; });
  }

  /** Opens the watch in the caller's network namespace and reads every address once. */
  static async open(now: () => number = Date.now): Promise<AddressWatch> {
    const sock = NetlinkSocket.open(NETLINK_ROUTE, { recvBufferSize: 1024 * 1024 });
    try {
      sock.addMembership(RTNLGRP_IPV4_IFADDR);
      sock.addMembership(RTNLGRP_IPV6_IFADDR);
      const w = new AddressWatch(sock, now);
      await w.dump();
      return w;
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  private async dump(): Promise<void> {
    const payload = Buffer.alloc(IFADDRMSG_LEN);
    const [reply] = await this.sock.exchange([{ type: RTM_GETADDR, flags: NLM_F.DUMP, payload }]);
    this.held.clear();
    for (const m of reply?.messages ?? []) this.apply(m);
    this.stale = false;
    this.lastDump = this.now();
  }

  private apply(m: NetlinkMessage): void {
    if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) return;
    const a = parseAddr(m);
    if (!a) return;
    if (m.type === RTM_NEWADDR) this.held.set(a.key, a.addr);
    else this.held.delete(a.key);
  }

  /** The addresses now (events queued so far applied; after lost events a new dump is started). */
  addresses(): string[] {
    this.sock.readQueued();
    if (this.stale && this.now() - this.lastDump >= REDUMP_MS) {
      this.lastDump = this.now();
      this.dump().catch(() => undefined);
    }
    return [...new Set(this.held.values())];
  }

  /** Stops watching. */
  close(): void {
    this.sock.close();
  }
}
