/**
 * The two daemons behind one interface, so every measurement of the
 * side-by-side benchmark runs the same code for both: f2b-fw (`f2b-fw run`
 * via test/support/daemon-harness) and Debian's fail2ban-server
 * (bench/support/fail2ban-server), each in a namespace of its own, one jail
 * `bench` with maxretry 1 following one log, bans going to an nftables set.
 */
import { BUNDLE_ENTRY } from '../../src/core/paths.js';
import { appendFileSync } from 'node:fs';
import { DaemonHarness, jailSection } from '../../test/support/daemon-harness.js';
import type { Netns } from '../../test/support/netns.js';
import { Fail2banServer } from './fail2ban-server.js';

/** The jail both tools run. */
export const BENCH_JAIL = 'bench';

/** One daemon under measurement. */
export interface Contender {
  readonly label: string;
  readonly ns: Netns;
  /** The kernel set its IPv6 bans land in. */
  readonly set: { readonly family: string; readonly table: string; readonly name: string };
  /** Addresses per ban command (what its client comfortably takes in one call). */
  readonly batch: number;
  start(): Promise<void>;
  /** Stops the daemon the way an administrator would (SIGTERM / `fail2ban-client stop`). */
  stop(): Promise<void>;
  /** The server process (for VmRSS). */
  pid(): number;
  /** Bans addresses through the tool's client; resolves when the client returns. */
  ban(addrs: readonly string[]): Promise<void>;
  /** Appends one failure line for `addr` to the followed log. */
  fail(addr: string): void;
  destroy(): Promise<void>;
}

/** The failure line both filters match. */
export function failureLine(addr: string): string {
  return `FAIL login from ${addr}\n`;
}

/** f2b-fw: `node CLI run` in its namespace, bans with `f2b-fw ban bench IP…`. */
export function f2bfwContender(label: string): Contender {
  const h = new DaemonHarness(label, '');
  h.entry = BUNDLE_ENTRY; // what users run
  const log = h.path('bench.log');
  h.touch(log);
  h.config.write('jail.local', jailSection(BENCH_JAIL, log, { bantime: '1d' }));
  return {
    label: 'f2b-fw',
    ns: h.ns,
    set: { family: 'inet', table: 'f2b-fw', name: `${BENCH_JAIL}-v6` },
    batch: 10_000,
    start: () => h.start([], 180_000),
    async stop() {
      await h.signal('SIGTERM');
    },
    pid: () => h.child!.pid!,
    async ban(addrs) {
      const r = await h.cli(['ban', BENCH_JAIL, ...addrs]);
      if (r.status !== 0) throw new Error(`f2b-fw ban exited ${r.status}: ${r.stderr}`);
    },
    fail: (addr) => h.append(log, [failureLine(addr).trimEnd()]),
    destroy: () => h.destroy(),
  };
}

/** fail2ban: `fail2ban-server -xf start` in its namespace, nftables-allports, bans with `fail2ban-client set bench banip IP…`. */
export function fail2banContender(label: string): Contender {
  const s = new Fail2banServer(label, BENCH_JAIL, 'nftables-allports');
  return {
    label: 'fail2ban',
    ns: s.ns,
    set: { family: 'inet', table: s.config.table, name: s.config.set6 },
    batch: 1000,
    start: () => s.start(180_000),
    stop: () => s.stop(),
    pid: () => s.pid,
    ban: (addrs) => s.banip(addrs),
    fail: (addr) => appendFileSync(s.config.jailLog, failureLine(addr)),
    async destroy() {
      s.destroy();
    },
  };
}
