/**
 * Prefix counting under a flood: 1,000,000 distinct IPv6 addresses from one
 * /48 (2001:db8:48::/48, spread over its 65,536 /64s), one failure each,
 * through a jail's counting (src/jail/jail.ts) in this process: time per
 * failure and the heap the failure table holds afterwards, for the default
 * one-address counting (the table capped at failure_table_size, oldest
 * first out) and for `ipv6_prefix = 64` with `escalate = 3 in 1h` /
 * `escalate_prefix = 48`. The filter's cost is measured in the filter section.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadJailConfig } from '../src/config/load.js';
import { jailSettings } from '../src/jail/settings.js';
import { Jail } from '../src/jail/jail.js';
import { DEFAULTS } from '../src/core/defaults.js';
import { tempConfigDir } from '../test/support/config-files.js';
import type { BenchFigure, BenchModule } from './types.js';

const FLOOD = 1_000_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after a full collection (MB). */
function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1_048_576;
}

/** The i-th address of the flood: /64 number i mod 65,536 inside the /48, host part from i. */
function floodAddr(i: number): string {
  return `2001:db8:48:${(i & 0xffff).toString(16)}::${((i >>> 16) + 1).toString(16)}`;
}

/** The jail under measurement, held here so nothing of it is collected before the heap is read. */
let live: Jail | null = null;

interface Run { seconds: number; before: number; after: number; table: number; evicted: number; bans: number; prefixBans: number }

/** Feeds the flood through one jail built from `keys` (jail.local lines); the addresses are made beforehand. */
function flood(keys: string, addrs: readonly string[]): Run {
  const dir = tempConfigDir({ 'jail.local': `[t]\nenabled = false\nmaxretry = 5\nfindtime = 1h\nbantime = 1h\n${keys}\n` });
  try {
    const settings = jailSettings(loadJailConfig(dir.dir).jails.find((j) => j.name === 't')!);
    const now = Date.now();
    const before = heapMb();
    live = new Jail(settings, { clock: { now: () => now }, history: { banCount: () => 0 }, ownAddresses: [] });
    const { seconds, bans, prefixBans } = feed(live, addrs, now);
    const table = live.currentlyFailed();
    const evicted = live.evicted;
    const after = heapMb();
    live = null;
    return { seconds, before, after, table, evicted, bans, prefixBans };
  } finally {
    dir.remove();
  }
}

/** One failure per address through `jail`; the time taken and the decisions made. */
function feed(jail: Jail, addrs: readonly string[], now: number): { seconds: number; bans: number; prefixBans: number } {
  let bans = 0;
  let prefixBans = 0;
  const t0 = performance.now();
  for (let i = 0; i < addrs.length; i++) {
    const addr = addrs[i]!;
    const d = jail.onFailure({ jail: 't', addr, time: now, matches: [`Failed password for root from ${addr}`], fields: {} });
    if (d) {
      bans++;
      if (d.addr.includes('/')) prefixBans++;
    }
  }
  return { seconds: (performance.now() - t0) / 1000, bans, prefixBans };
}

export const bench: BenchModule = {
  name: 'prefix',
  async run() {
    const addrs = Array.from({ length: FLOOD }, (_, i) => floodAddr(i));
    // Hashing flattens V8's concatenated strings in place: done here, so the heap figures count only the jail.
    new Set(addrs).clear();
    flood('', addrs.slice(0, 50_000));
    const single = flood('', addrs);
    const prefixed = flood('ipv6_prefix = 64\nescalate = 3 in 1h\nescalate_prefix = 48', addrs);
    const figures: BenchFigure[] = [
      { name: 'one-address counting: time per failure', value: (single.seconds / FLOOD) * 1e6, unit: 'µs' },
      { name: 'one-address counting: failures/s', value: FLOOD / single.seconds, unit: 'failures/s' },
      { name: `one-address counting: failure table after the flood (cap ${DEFAULTS.failureTableSize})`, value: single.table, unit: 'entries' },
      { name: 'one-address counting: entries evicted, oldest first', value: single.evicted, unit: 'entries' },
      { name: 'one-address counting: process heap before the flood (the 1 M input strings)', value: single.before, unit: 'MB' },
      { name: 'one-address counting: process heap after the flood, jail alive', value: single.after, unit: 'MB' },
      { name: '/64 counting + escalate 3 in 1h to /48: time per failure', value: (prefixed.seconds / FLOOD) * 1e6, unit: 'µs' },
      { name: '/64 counting + escalation: failures/s', value: FLOOD / prefixed.seconds, unit: 'failures/s' },
      { name: '/64 counting + escalation: ban decisions (of them prefix bans)', value: prefixed.bans, unit: `decisions (${prefixed.prefixBans} prefix)` },
      { name: '/64 counting + escalation: failure table after the flood', value: prefixed.table, unit: 'entries' },
      { name: '/64 counting + escalation: process heap after the flood, jail alive', value: prefixed.after, unit: 'MB' },
    ];
    return {
      title: 'Prefix counting: a flood of 1 M distinct IPv6 addresses from one /48',
      command: 'npm run bench -- prefix',
      figures,
      notes: [
        `${FLOOD.toLocaleString('en')} distinct addresses of 2001:db8:48::/48, one failure each (maxretry 5, findtime 1h), fed to Jail.onFailure in this process; the addresses are built (and flattened) before the clock starts and are not counted in the heap figures.`,
        'One-address counting (fail2ban\'s behaviour): every address is a new key, so the table stops at failure_table_size and the key that failed longest ago is evicted; heap figures are heapUsed after a full GC, the input strings included (they are what the keys of the jail point to).',
        'With ipv6_prefix = 64 the flood lands on 65,536 /64 keys; each /64 reaches maxretry after 5 of its addresses, the third ban inside the /48 escalates to the /48, and failures inside it are no longer counted.',
      ],
    };
  },
};
