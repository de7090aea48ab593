/**
 * A small in-memory DaemonApi for control-socket tests: real enough to drive
 * every client sub-command (jails, bans, history, settings) without a kernel.
 */
import { isIP } from 'node:net';
import {
  ApiError,
  type BanRecord,
  type BanResult,
  type DaemonApi,
  type DaemonStatus,
  type HistoryEntry,
  type JailKey,
  type JailStatus,
  type JailValue,
  type ReloadResult,
  type UnbanResult,
} from '../../src/daemon/api.js';
import type { ReconcileOptions } from '../../src/fw/driver.js';
import type { Plan } from '../../src/fw/plan.js';

interface MemJail {
  files: string[];
  failed: number;
  totalFailed: number;
  totalBanned: number;
  bantime: number | null;
  findtime: number;
  maxretry: number;
  ignoreip: string[];
}

/** What a test can look at after the client ran. */
export class MemoryDaemon implements DaemonApi {
  readonly jails = new Map<string, MemJail>();
  readonly bans: BanRecord[] = [];
  readonly past: HistoryEntry[] = [];
  stopped = false;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Adds a jail with fail2ban's defaults. */
  addJail(name: string, files: string[], failed = 0): this {
    this.jails.set(name, { files, failed, totalFailed: failed, totalBanned: 0, bantime: 600, findtime: 600, maxretry: 5, ignoreip: [] });
    return this;
  }

  private jail(name: string): MemJail {
    const j = this.jails.get(name);
    if (!j) throw new ApiError('unknown-jail', `no jail named ${JSON.stringify(name)}; jails: ${[...this.jails.keys()].join(', ')}`);
    return j;
  }

  private static checkAddr(addr: string): void {
    if (isIP(addr.split('/')[0]!) === 0) throw new ApiError('bad-address', `not an address or prefix: ${JSON.stringify(addr)}`);
  }

  status(): Promise<DaemonStatus>;
  status(jail: string): Promise<JailStatus>;
  async status(jail?: string): Promise<DaemonStatus | JailStatus> {
    if (jail === undefined) {
      return { jails: [...this.jails.keys()], pid: process.pid, startedAt: 0, backend: 'null', currentlyBanned: this.bans.length, store: { state: 'ok', reason: null, since: 0, unwritten: 0 } };
    }
    const j = this.jail(jail);
    const held = this.bans.filter((b) => b.jail === jail).map((b) => b.addr);
    return { jail, currentlyFailed: j.failed, totalFailed: j.totalFailed, files: j.files, currentlyBanned: held.length, totalBanned: j.totalBanned, bannedList: held };
  }

  async ban(jail: string, addrs: readonly string[]): Promise<BanResult> {
    const j = this.jail(jail);
    addrs.forEach(MemoryDaemon.checkAddr);
    const banned: string[] = [];
    const already: string[] = [];
    for (const addr of addrs) {
      if (this.bans.some((b) => b.jail === jail && b.addr === addr)) {
        already.push(addr);
        continue;
      }
      const at = this.now();
      const expiresAt = j.bantime === null ? null : at + j.bantime * 1000;
      this.bans.push({ jail, addr, bannedAt: at, expiresAt, banCount: 1, reason: 'manual', matches: [] });
      this.past.unshift({ jail, addr, bannedAt: at, expiresAt, endedAt: null, reason: 'manual', matches: [] });
      j.totalBanned++;
      banned.push(addr);
    }
    return { banned, already, refreshed: already.map((addr) => ({ addr, expiresAt: null, extended: false })) };
  }

  async unban(jail: string | undefined, addrs: readonly string[] | 'all'): Promise<UnbanResult> {
    if (jail !== undefined) this.jail(jail);
    const unbanned: { jail: string; addr: string }[] = [];
    const wanted = addrs === 'all' ? undefined : new Set(addrs);
    for (let i = this.bans.length - 1; i >= 0; i--) {
      const b = this.bans[i]!;
      if ((jail === undefined || b.jail === jail) && (!wanted || wanted.has(b.addr))) {
        this.bans.splice(i, 1);
        unbanned.unshift({ jail: b.jail, addr: b.addr });
      }
    }
    const notBanned = addrs === 'all' ? [] : addrs.filter((a) => !unbanned.some((u) => u.addr === a));
    return { unbanned, notBanned };
  }

  async banned(addr?: string): Promise<BanRecord[]> {
    return this.bans.filter((b) => addr === undefined || b.addr === addr);
  }

  async history(addr: string): Promise<HistoryEntry[]> {
    MemoryDaemon.checkAddr(addr);
    return this.past.filter((h) => h.addr === addr);
  }

  async reload(jail?: string): Promise<ReloadResult> {
    if (jail !== undefined) this.jail(jail);
    return { added: [], removed: [], kept: jail === undefined ? [...this.jails.keys()] : [jail], plan: { changes: [] } };
  }

  async reconcile(_opts: ReconcileOptions): Promise<Plan> {
    return { changes: [] };
  }

  async get(jail: string, key: JailKey): Promise<JailValue> {
    const j = this.jail(jail);
    switch (key) {
      case 'bantime': return j.bantime;
      case 'findtime': return j.findtime;
      case 'maxretry': return j.maxretry;
      case 'ignoreip': return j.ignoreip;
      case 'logpath': return j.files;
      case 'banned': return this.bans.filter((b) => b.jail === jail).map((b) => b.addr);
      default: throw new ApiError('bad-key', `cannot get ${JSON.stringify(key)}`);
    }
  }

  async set(jail: string, key: JailKey, value: string): Promise<JailValue> {
    const j = this.jail(jail);
    const number = (): number => {
      if (!/^-?\d+$/.test(value)) throw new ApiError('bad-value', `${key}: not a number: ${JSON.stringify(value)}`);
      return Number(value);
    };
    switch (key) {
      case 'bantime': j.bantime = value === '-1' ? null : number(); return j.bantime;
      case 'findtime': j.findtime = number(); return j.findtime;
      case 'maxretry': j.maxretry = number(); return j.maxretry;
      case 'addignoreip': j.ignoreip.push(value); return j.ignoreip;
      case 'delignoreip': j.ignoreip = j.ignoreip.filter((x) => x !== value); return j.ignoreip;
      case 'banip': return (await this.ban(jail, value.split(' '))).banned.length;
      case 'unbanip': return (await this.unban(jail, value.split(' '))).unbanned.length;
      default: throw new ApiError('bad-key', `cannot set ${JSON.stringify(key)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
