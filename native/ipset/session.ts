/**
 * An ipset session: ip_set commands over one NETLINK_NETFILTER socket, in
 * the caller's network namespace. No `ipset` process is ever spawned; many
 * element changes go out in a few sendmsg() calls (see NetlinkSocket).
 */
import { KernelError } from '../../src/core/errors.js';
import { NETLINK_NETFILTER, NetlinkSocket, type NetlinkReply, type NetlinkSocketOptions } from '../netlink/socket.js';
import {
  createRequest, elementRequest, listRequest, parseListReplies, parseTypeReply, setRequest, swapRequest, typeRequest,
  type IpsetFamily, type IpsetInfo, type IpsetOp, type IpsetSpec, type IpsetType,
} from './messages.js';
import { CMD, ipsetErrorText } from './protocol.js';

/** One element change the kernel refused. */
export interface IpsetOpFailure {
  readonly op: IpsetOp;
  readonly errno: number;
  readonly message: string;
}

/** ip_set commands over netlink. */
export class IpsetSession {
  private readonly socket: NetlinkSocket;
  private readonly revisions = new Map<string, number>();

  private constructor(socket: NetlinkSocket) {
    this.socket = socket;
  }

  /** Opens a session in the current network namespace. */
  static open(options: NetlinkSocketOptions = {}): IpsetSession {
    return new IpsetSession(NetlinkSocket.open(NETLINK_NETFILTER, options));
  }

  /** The highest revision of `type` the running kernel supports (cached). */
  async revision(type: IpsetType, family: IpsetFamily): Promise<number> {
    const key = `${type}/${family}`;
    const known = this.revisions.get(key);
    if (known !== undefined) return known;
    const [reply] = await this.socket.exchange([typeRequest(type, family)]);
    check(reply!, `ipset type ${type} family ${family}`);
    const rev = reply!.messages.length > 0 ? parseTypeReply(reply!.messages[0]!.payload) : undefined;
    if (rev === undefined) throw new KernelError(`the kernel did not report a revision for ipset type ${type}`, `ipset type ${type}`);
    this.revisions.set(key, rev);
    return rev;
  }

  /** Creates a set; an identical set already present is fine, one with other parameters is an error. */
  async create(spec: IpsetSpec): Promise<void> {
    const rev = await this.revision(spec.type, spec.family);
    const [reply] = await this.socket.exchange([createRequest(spec, rev)]);
    check(reply!, describeCreate(spec));
  }

  /** Destroys a set (it must not be referenced by rules). */
  async destroy(name: string): Promise<void> {
    const [reply] = await this.socket.exchange([setRequest(CMD.DESTROY, name)]);
    check(reply!, `ipset destroy ${name}`);
  }

  /** Removes every element of a set. */
  async flush(name: string): Promise<void> {
    const [reply] = await this.socket.exchange([setRequest(CMD.FLUSH, name)]);
    check(reply!, `ipset flush ${name}`);
  }

  /** Swaps two sets of compatible type and family (rules follow the name). */
  async swap(a: string, b: string): Promise<void> {
    const [reply] = await this.socket.exchange([swapRequest(a, b)]);
    check(reply!, `ipset swap ${a} ${b}`);
  }

  /**
   * Applies element adds/deletes with `-exist` semantics (re-adding refreshes
   * the timeout). Every op is tried; the refused ones are returned.
   */
  async apply(ops: readonly IpsetOp[]): Promise<IpsetOpFailure[]> {
    if (ops.length === 0) return [];
    const replies = await this.socket.exchange(ops.map(elementRequest));
    const failures: IpsetOpFailure[] = [];
    replies.forEach((r, i) => {
      if (r.errno !== 0) failures.push({ op: ops[i]!, errno: r.errno, message: ipsetErrorText(r.errno) });
    });
    return failures;
  }

  /** Lists one set (undefined when it does not exist) with its members. */
  async list(name: string): Promise<IpsetInfo | undefined> {
    const [reply] = await this.socket.exchange([listRequest(name)]);
    if (reply!.errno === 2) return undefined;
    check(reply!, `ipset list ${name}`);
    return parseListReplies(reply!.messages.map((m) => m.payload))[0];
  }

  /** Headers of every set in the namespace (no members). */
  async headers(): Promise<IpsetInfo[]> {
    const [reply] = await this.socket.exchange([listRequest(undefined, true)]);
    check(reply!, 'ipset list -t');
    return parseListReplies(reply!.messages.map((m) => m.payload));
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}

function describeCreate(s: IpsetSpec): string {
  return `ipset create ${s.name} ${s.type} family ${s.family}` +
    (s.timeout !== undefined ? ` timeout ${s.timeout}` : '') +
    (s.maxelem !== undefined ? ` maxelem ${s.maxelem}` : '');
}

function check(reply: NetlinkReply, command: string): void {
  if (reply.errno !== 0) throw new IpsetKernelError(reply.errno, command);
}

/** The kernel refused an ipset command; `errno` is the kernel's (ipset-private codes above 4096). */
export class IpsetKernelError extends KernelError {
  override readonly errno: number;
  constructor(errno: number, command: string) {
    super(`ipset: ${ipsetErrorText(errno)}`, command);
    this.errno = errno;
  }
}
