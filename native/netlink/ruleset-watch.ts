/**
 * Ruleset-change events: a NETLINK_NETFILTER socket joined to the
 * NFNLGRP_NFTABLES multicast group receives every nftables change any process
 * commits. A transaction that touched our table and was committed by another
 * process (the NFT_MSG_NEWGEN message ending each batch names the committing
 * PID) is reported, so `nft flush ruleset`, `systemctl restart nftables` or a
 * firewalld reload are noticed within milliseconds. Lost events (receive buffer
 * overrun) are reported too. A periodic tick is the fallback for kernels or
 * backends (iptables) where events say nothing, or when the socket cannot open.
 */
import { existsSync } from 'node:fs';
import { createNetlink, type NetlinkSocket, type NetlinkMessage } from 'netlink';

const NETLINK_NETFILTER = 12;
const NFNLGRP_NFTABLES = 7;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWGEN = 15;
/** In every nftables object message (table, chain, rule, set, element list, obj), attribute 1 is the table name. */
const ATTR_TABLE_NAME = 1;
const NFTA_GEN_PROC_PID = 2;
const NFGENMSG_LEN = 4;

/** Why the watcher calls back. */
export type RulesetChange = 'foreign-change' | 'events-lost' | 'periodic';

/** Options of watchRuleset. */
export interface RulesetWatchOptions {
  /** Our table name, e.g. `f2b-fw`. */
  readonly table: string;
  /** True for a PID/TID that is ours (libnftables may commit from a worker thread): not reported. */
  isOwn(pid: number): boolean;
  /** Called (coalesced) when the ruleset may no longer match what we put there. */
  onChange(reason: RulesetChange): void;
  /** Period of the fallback tick in ms (0 = none). */
  readonly periodMs: number;
  /** Subscribe to ruleset events (false: the periodic tick only, e.g. for the iptables backend). */
  readonly events: boolean;
  /** Coalescing delay for events in ms (a flush sends hundreds of messages). */
  readonly debounceMs?: number;
}

/** A running watcher. */
export interface RulesetWatch {
  /** `netlink` when events arrive, `periodic` when only the tick runs. */
  readonly mode: 'netlink' | 'periodic';
  /**
   * Leaves the multicast group while we commit a big transaction of our own
   * (restore, repair, reload): the kernel then does not even build the
   * per-element notifications, and we do not parse 100,000 of our own messages.
   */
  pause(): void;
  /** Joins the group again after `pause`. */
  resume(): void;
  close(): void;
}

/** Reads attribute `type` from a netlink attribute stream starting at `offset`. */
function findAttr(data: Buffer, offset: number, type: number): Buffer | undefined {
  let at = offset;
  while (at + 4 <= data.length) {
    const len = data.readUInt16LE(at);
    const t = data.readUInt16LE(at + 2) & 0x3fff;
    if (len < 4) return undefined;
    if (t === type) return data.subarray(at + 4, at + len);
    at += (len + 3) & ~3;
  }
  return undefined;
}

/**
 * Follows the messages of nftables transactions: returns true when a batch
 * that touched `table` was committed by a process that `isOwn` does not claim.
 */
export class TransactionTracker {
  private touched = false;
  private readonly tableName: Buffer;
  constructor(table: string, private readonly isOwn: (pid: number) => boolean) {
    this.tableName = Buffer.from(`${table}\0`);
  }

  /** Feeds one message; true when a foreign transaction touching our table just ended. */
  feed(msg: NetlinkMessage): boolean {
    if (msg.type >> 8 !== NFNL_SUBSYS_NFTABLES) return false;
    const kind = msg.type & 0xff;
    if (kind === NFT_MSG_NEWGEN) {
      const pid = findAttr(msg.data, NFGENMSG_LEN, NFTA_GEN_PROC_PID);
      const foreign = this.touched && (pid === undefined || !this.isOwn(pid.readUInt32BE(0)));
      this.touched = false;
      return foreign;
    }
    const name = findAttr(msg.data, NFGENMSG_LEN, ATTR_TABLE_NAME);
    if (name && (name.equals(this.tableName) || name.equals(this.tableName.subarray(0, -1)))) this.touched = true;
    return false;
  }
}

/** True for this process's PID and the TIDs of its threads. */
export function isOwnThread(pid: number): boolean {
  return pid === process.pid || existsSync(`/proc/${process.pid}/task/${pid}`);
}

/** Opens the event socket, or returns null when the kernel or our privileges do not allow it. */
function subscribe(options: RulesetWatchOptions, changed: () => void, lost: () => void): NetlinkSocket | null {
  let socket: NetlinkSocket | null = null;
  try {
    const tracker = new TransactionTracker(options.table, options.isOwn);
    socket = createNetlink(NETLINK_NETFILTER, { ref: false, recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 65536 });
    socket.addMembership(NFNLGRP_NFTABLES);
    socket.on('message', (msgs) => {
      for (const m of msgs) if (tracker.feed(m)) changed();
    });
    socket.on('error', lost);
    return socket;
  } catch {
    socket?.close();
    return null;
  }
}

/** Starts watching; never throws (falls back to the periodic tick). */
export function watchRuleset(options: RulesetWatchOptions): RulesetWatch {
  const debounceMs = options.debounceMs ?? 20;
  let pending: RulesetChange | null = null;
  let timer: NodeJS.Timeout | null = null;
  const report = (reason: RulesetChange): void => {
    if (pending === null || reason !== 'periodic') pending = reason;
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      const r = pending!;
      pending = null;
      options.onChange(r);
    }, debounceMs);
  };

  const socket = options.events ? subscribe(options, () => report('foreign-change'), () => report('events-lost')) : null;
  const tick = options.periodMs > 0 ? setInterval(() => report('periodic'), options.periodMs) : null;
  tick?.unref();
  let paused = 0;
  return {
    mode: socket ? 'netlink' : 'periodic',
    pause() {
      if (paused++ === 0) socket?.dropMembership(NFNLGRP_NFTABLES);
    },
    resume() {
      if (paused > 0 && --paused === 0) socket?.addMembership(NFNLGRP_NFTABLES);
    },
    close() {
      if (tick) clearInterval(tick);
      if (timer) clearTimeout(timer);
      socket?.close();
    },
  };
}
