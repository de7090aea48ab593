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
import { NetlinkSocket, NETLINK_NETFILTER, type NetlinkMessage } from './socket.js';

const NFNLGRP_NFTABLES = 7;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWGEN = 15;
const NFT_MSG_GETGEN = 16;
const NFTA_GEN_ID = 1;
/** In every nftables object message (table, chain, rule, set, element list, obj), attribute 1 is the table name. */
const ATTR_TABLE_NAME = 1;
const NFTA_GEN_PROC_PID = 2;
const NFGENMSG_LEN = 4;

/** Why the watcher calls back. */
export type RulesetChange = 'foreign-change' | 'events-lost' | 'generation-changed' | 'periodic';

/** Options of watchRuleset. */
export interface RulesetWatchOptions {
  /** Our table name, e.g. `f2b-fw`. */
  readonly table: string;
  /** True for a PID/TID that is ours (a large batch is sent from a worker thread): not reported. */
  isOwn(pid: number): boolean;
  /** Called (coalesced) when the ruleset may no longer match what we put there. */
  onChange(reason: RulesetChange): void;
  /** Without events: period of the fallback tick in ms (0 = none); the daemon then checks the whole ruleset. */
  readonly periodMs: number;
  /**
   * With events: how often (ms) the ruleset generation is asked for (one small
   * netlink round trip) and compared with the last one the events announced,
   * which catches events the socket dropped. 0 = never.
   */
  readonly generationCheckMs: number;
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
  /** The ruleset generation the last NEWGEN announced. */
  lastGeneration: number | undefined;
  private readonly tableName: Buffer;
  constructor(table: string, private readonly isOwn: (pid: number) => boolean) {
    this.tableName = Buffer.from(`${table}\0`);
  }

  /** Feeds one message; true when a foreign transaction touching our table just ended. */
  feed(msg: NetlinkMessage): boolean {
    if (msg.type >> 8 !== NFNL_SUBSYS_NFTABLES) return false;
    const kind = msg.type & 0xff;
    if (kind === NFT_MSG_NEWGEN) {
      const gen = findAttr(msg.payload, NFGENMSG_LEN, NFTA_GEN_ID);
      if (gen && gen.length >= 4) this.lastGeneration = gen.readUInt32BE(0);
      const pid = findAttr(msg.payload, NFGENMSG_LEN, NFTA_GEN_PROC_PID);
      const foreign = this.touched && (pid === undefined || !this.isOwn(pid.readUInt32BE(0)));
      this.touched = false;
      return foreign;
    }
    const name = findAttr(msg.payload, NFGENMSG_LEN, ATTR_TABLE_NAME);
    if (name && (name.equals(this.tableName) || name.equals(this.tableName.subarray(0, -1)))) this.touched = true;
    return false;
  }
}

/** True for this process's PID and the TIDs of its threads. */
export function isOwnThread(pid: number): boolean {
  return pid === process.pid || existsSync(`/proc/${process.pid}/task/${pid}`);
}

/** The subscribed socket and the tracker that reads its messages. */
interface Subscription {
  readonly socket: NetlinkSocket;
  readonly tracker: TransactionTracker;
}

/** How often queued events are read (ms): a foreign flush is repaired this much later at most, plus the debounce. */
const EVENT_POLL_MS = 50;

/** Opens the event socket, or returns null when the kernel or our privileges do not allow it. */
function subscribe(options: RulesetWatchOptions, changed: () => void, lost: () => void): Subscription | null {
  let socket: NetlinkSocket | null = null;
  try {
    const tracker = new TransactionTracker(options.table, options.isOwn);
    socket = NetlinkSocket.open(NETLINK_NETFILTER, { recvBufferSize: 4 * 1024 * 1024, timeoutMs: 1000 });
    socket.addMembership(NFNLGRP_NFTABLES);
    socket.onNotification((m) => {
      if (tracker.feed(m)) changed();
    });
    socket.onLost(lost);
    socket.listen(EVENT_POLL_MS);
    return { socket, tracker };
  } catch {
    socket?.close();
    return null;
  }
}

/** Asks the kernel for the current ruleset generation (NFT_MSG_GETGEN); undefined when it does not answer. */
export async function currentGeneration(socket: NetlinkSocket): Promise<number | undefined> {
  const [reply] = await socket.exchange([GETGEN_REQUEST]);
  const msg = reply?.messages[0];
  const gen = msg && findAttr(msg.payload, NFGENMSG_LEN, NFTA_GEN_ID);
  return gen && gen.length >= 4 ? gen.readUInt32BE(0) : undefined;
}

/** NFT_MSG_GETGEN as nft sends it: family AF_UNSPEC, no attributes, no ACK. */
export const GETGEN_REQUEST = { type: (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, flags: 0, payload: Buffer.alloc(NFGENMSG_LEN) } as const;

/** Batches of at least this many elements are committed with the event socket out of the group (ownCommit). */
export const QUIET_COMMIT_ELEMENTS = 1000;

/** The running watchers' quiet-commit hooks (one per watcher of this process). */
const quietHooks = new Set<<T>(work: () => Promise<T>) => Promise<T>>();

/**
 * Runs `work`, ONE nftables transaction of our own with `elements` element
 * changes. A big one runs with every watcher out of the multicast group: the
 * kernel then builds no per-element notifications (a 10,000-ban batch would
 * overrun the event socket and look like lost events, i.e. a full repair).
 * The generation accounts for it: it must have moved by exactly one (or by
 * none when `work` failed); anything else is reported as a foreign change.
 */
export function ownCommit<T>(elements: number, work: () => Promise<T>): Promise<T> {
  if (elements < QUIET_COMMIT_ELEMENTS || quietHooks.size === 0) return work();
  let run = work;
  for (const hook of quietHooks) {
    const inner = run;
    run = () => hook(inner);
  }
  return run();
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

  const sub = options.events ? subscribe(options, () => report('foreign-change'), () => report('events-lost')) : null;
  let paused = 0;
  /** Compares the kernel's generation with the last one announced; `quiet` only records it. */
  const checkGeneration = (quiet: boolean): void => {
    if (!sub) return;
    currentGeneration(sub.socket).then((gen) => {
      if (gen === undefined || paused > 0) return;
      const known = sub.tracker.lastGeneration;
      sub.tracker.lastGeneration = gen;
      if (!quiet && known !== undefined && gen !== known) report('generation-changed');
    }, () => undefined);
  };
  checkGeneration(true);
  const tick = sub
    ? (options.generationCheckMs > 0 ? setInterval(() => { if (paused === 0) checkGeneration(false); }, options.generationCheckMs) : null)
    : (options.periodMs > 0 ? setInterval(() => report('periodic'), options.periodMs) : null);
  tick?.unref();
  const quiet = async <T>(work: () => Promise<T>): Promise<T> => {
    if (!sub || paused > 0) return work();
    sub.socket.readQueued();
    const before = sub.tracker.lastGeneration;
    paused++;
    sub.socket.dropMembership(NFNLGRP_NFTABLES);
    let committed = 0;
    try {
      const result = await work();
      committed = 1;
      return result;
    } finally {
      sub.socket.addMembership(NFNLGRP_NFTABLES);
      paused--;
      currentGeneration(sub.socket).then((gen) => {
        if (gen === undefined) return;
        sub.tracker.lastGeneration = gen;
        if (before === undefined || gen !== ((before + committed) >>> 0)) report('generation-changed');
      }, () => report('events-lost'));
    }
  };
  if (sub) quietHooks.add(quiet);
  return {
    mode: sub ? 'netlink' : 'periodic',
    pause() {
      if (paused++ === 0) sub?.socket.dropMembership(NFNLGRP_NFTABLES);
    },
    resume() {
      if (paused > 0 && --paused === 0 && sub) {
        sub.socket.addMembership(NFNLGRP_NFTABLES);
        // Our own transaction moved the generation on while we were not listening.
        checkGeneration(true);
      }
    },
    close() {
      quietHooks.delete(quiet);
      if (tick) clearInterval(tick);
      if (timer) clearTimeout(timer);
      sub?.socket.close();
    },
  };
}
