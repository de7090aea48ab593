/**
 * iptables + ipset backend figures, measured in a throwaway network
 * namespace by an agent process holding the driver (one netlink socket):
 * single-ban latency over netlink against spawning `ipset add` (fail2ban's
 * way, also from inside the namespace), a start that loads 100,000 bans, a
 * no-op reconcile over them, and a single ban with them present.
 */
import { Netns } from '../test/support/netns.js';
import { IpsetAgent } from '../test/support/ipset-agent.js';
import type { Ban } from '../src/core/records.js';
import type { FirewallLayout } from '../src/fw/layout.js';
import type { Plan } from '../src/fw/plan.js';
import type { BenchModule } from './types.js';

const layout: FirewallLayout = {
  priority: -10,
  jails: [{ name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 }],
};
const SINGLE_RUNS = 2000;
const SPAWN_RUNS = 200;
const MANY = 100_000;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** 100,000 distinct addresses need IPv6: 2001:db8::/32 (the IPv4 documentation ranges hold 768). */
function bulkBans(n: number, expiresAt: number): Ban[] {
  return Array.from({ length: n }, (_, i) => ({ jail: 'sshd', addr: `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`, expiresAt }));
}

interface Figures {
  single: number;
  spawn: number;
  start: number;
  reconcile: number;
  singleLoaded: number;
}

async function measure(agent: IpsetAgent): Promise<Figures> {
  const expiresAt = Date.now() + 3_600_000;
  const bans = bulkBans(MANY, expiresAt);
  const [start] = await agent.call<number[]>('time', { cmd: 'reconcile', args: { layout, bans }, n: 1 });
  const plan = await agent.call<Plan>('reconcile', { layout, bans });
  if (plan.changes.length !== 0) throw new Error(`reconcile over ${MANY} elements was not a no-op: ${plan.changes.length} changes`);
  const reconciles = await agent.call<number[]>('time', { cmd: 'reconcile', args: { layout, bans }, n: 3 });
  const singleLoaded = await agent.call<number[]>('time', { cmd: 'ban', args: { bans: [{ jail: 'sshd', addr: '198.51.100.200', expiresAt }] }, n: 200 });
  await agent.call('reconcile', { layout, bans: [] });
  await agent.call('time', { cmd: 'ban', args: { bans: [{ jail: 'sshd', addr: '198.51.100.1', expiresAt }] }, n: 50 });
  const single: number[] = [];
  for (let i = 0; i < SINGLE_RUNS; i += 100) {
    single.push(...await agent.call<number[]>('time', { cmd: 'ban', args: { bans: [{ jail: 'sshd', addr: `198.51.100.${(i / 100) % 250 + 1}`, expiresAt }] }, n: 100 }));
  }
  const spawn = await agent.call<number[]>('spawnIpset', { argv: ['add', 'f2b-sshd', '203.0.113.{}', 'timeout', '3600', '-exist'], n: SPAWN_RUNS });
  return { single: median(single), spawn: median(spawn), start: start!, reconcile: median(reconciles), singleLoaded: median(singleLoaded) };
}

/** `npm run bench -- ipset`. */
export const bench: BenchModule = {
  name: 'ipset',
  async run() {
    const ns = Netns.create('bipset');
    const agent = IpsetAgent.start(ns, 'nft');
    try {
      const m = await measure(agent);
      return {
        title: 'iptables + ipset backend (ip_set over netlink)',
        command: 'npm run bench -- ipset',
        figures: [
          { name: 'single ban (one netlink ADD with -exist timeout refresh), median latency', value: Math.round(m.single), unit: 'µs',
            compare: { label: 'spawning `ipset add … -exist` (fail2ban\'s way)', value: Math.round(m.spawn) } },
          { name: `single ban with ${MANY.toLocaleString('en')} elements present, median latency`, value: Math.round(m.singleLoaded), unit: 'µs' },
          { name: `start loading ${MANY.toLocaleString('en')} bans (create sets, one restore per family, all elements)`, value: Number((m.start / 1e6).toFixed(3)), unit: 's' },
          { name: `no-op reconcile with ${MANY.toLocaleString('en')} elements present`, value: Number((m.reconcile / 1e6).toFixed(3)), unit: 's' },
        ],
        notes: [
          'All in a fresh network namespace with iptables-nft; the driver runs in an agent process and times each call itself, so the pipe to the agent is not counted.',
          `Single ban: median of ${SINGLE_RUNS} IpsetDriver.ban calls with one IPv4 address (hash:ip, timeout 3600 s), each one sendmsg + ACK on a NETLINK_NETFILTER socket.`,
          `Spawned ipset: median of ${SPAWN_RUNS} runs of \`ipset add f2b-sshd ADDR timeout 3600 -exist\` started by the same agent process inside the namespace.`,
          `Start: IpsetDriver.reconcile on an empty namespace with ${MANY.toLocaleString('en')} IPv6 bans from 2001:db8::/32 — 8 sets created over netlink, one iptables-save per family of the variant written (the other variant's only where the kernel holds an f2b-* chain: none here) and one iptables-restore --test + commit per family, then the elements in batches of 64 KiB per sendmsg.`,
          'No-op reconcile: median of 3 reconcile calls that read every set back (LIST dump), both iptables variants\' filter tables, and find nothing to change.',
        ],
      };
    } finally {
      await agent.stop();
      ns.destroy();
    }
  },
};
