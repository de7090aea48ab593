/**
 * Packet path: connection rate through a router namespace that holds 10,000
 * banned IPv6 addresses — as fail2ban's ip6tables chain (one REJECT rule per
 * address, walked linearly for every packet of a connection that is not
 * banned) and as f2b-fw's nftables set (one hash lookup) — plus the router
 * with no bans, for scale. The connecting client is never banned: the figure
 * is the cost every innocent connection pays.
 */
import { Netns } from '../../test/support/netns.js';
import type { BenchFigure } from '../types.js';
import { BENCH_JAIL, f2bfwContender } from './contenders.js';
import { waitForSize } from './kernel-watch.js';
import { bannedAddress, fail2banIptablesRules, routerLab } from './router-lab.js';

/** Banned addresses on the router. */
export const PACKET_BANS = 10_000;
/** Sequential connections per measurement. */
export const CONNECTIONS = 2000;

/** Figures and notes of the packet-path measurement. */
export interface PacketPathResult {
  readonly figures: BenchFigure[];
  readonly notes: string[];
}

/** Connections/s from client to server through `router`. */
async function rate(router: Netns, label: string): Promise<number> {
  const lab = await routerLab(router, label);
  try {
    await lab.connect(100); // warm-up: neighbours resolved, code paths hot
    const r = await lab.connect(CONNECTIONS);
    if (r.failed > 0) throw new Error(`packet path ${label}: ${r.failed} of ${r.connections} connections failed`);
    return Math.round((r.connections / r.ms) * 1000);
  } finally {
    lab.destroy();
  }
}

/** A bare router namespace, optionally loaded with ip6tables rules through `restore` (ip6tables-restore or -legacy-restore). */
async function iptablesRate(restore: string | null, label: string): Promise<number> {
  const router = Netns.create(label);
  try {
    if (restore) {
      router.run(restore, [], fail2banIptablesRules(BENCH_JAIL, PACKET_BANS));
      const rules = router.run(restore.replace('-restore', '-save'), []).split('\n').filter((l) => l.includes('-j REJECT')).length;
      if (rules !== PACKET_BANS) throw new Error(`${restore}: ${rules} REJECT rules loaded, expected ${PACKET_BANS}`);
    }
    return await rate(router, label);
  } finally {
    router.destroy();
  }
}

/** f2b-fw's daemon in the router namespace with PACKET_BANS bans in its set. */
async function f2bfwRate(): Promise<number> {
  const daemon = f2bfwContender('bench-pkt');
  try {
    await daemon.start();
    const addrs = Array.from({ length: PACKET_BANS }, (_, i) => bannedAddress(i));
    await daemon.ban(addrs);
    const t0 = performance.now();
    const r = await waitForSize(daemon.ns, daemon.set.family, daemon.set.table, daemon.set.name, PACKET_BANS, t0, 60_000);
    if (r.size !== PACKET_BANS) throw new Error(`f2b-fw set holds ${r.size} bans, expected ${PACKET_BANS}`);
    return await rate(daemon.ns, 'bench-pktf');
  } finally {
    await daemon.destroy();
  }
}

/** Measures the router without bans, with f2b-fw's set and (with fail2ban) with fail2ban's iptables chain. */
export async function packetPath(withFail2ban: boolean): Promise<PacketPathResult> {
  const bare = await iptablesRate(null, 'bench-pkt0');
  const ours = await f2bfwRate();
  const figures: BenchFigure[] = [
    { name: 'connections/s through the router, no bans (reference)', value: bare, unit: 'conn/s' },
  ];
  const legacy = withFail2ban ? await iptablesRate('ip6tables-legacy-restore', 'bench-pktl') : undefined;
  const nftCompat = withFail2ban ? await iptablesRate('ip6tables-nft-restore', 'bench-pktn') : undefined;
  figures.push(
    { name: `connections/s with ${PACKET_BANS.toLocaleString('en-US')} bans: f2b-fw set vs fail2ban's ip6tables chain (iptables-nft, Debian 12's default)`, value: ours, unit: 'conn/s', ...(nftCompat === undefined ? {} : { compare: { label: 'fail2ban rules, iptables-nft', value: nftCompat } }) },
  );
  if (legacy !== undefined) {
    figures.push({ name: `connections/s with ${PACKET_BANS.toLocaleString('en-US')} bans: f2b-fw set vs the same chain on iptables-legacy`, value: ours, unit: 'conn/s', compare: { label: 'fail2ban rules, iptables-legacy', value: legacy } });
  }
  return {
    figures,
    notes: [
      `Packet path (IPv6, so ${PACKET_BANS.toLocaleString('en-US')} distinct banned addresses fit in 2001:db8::/32 — the three IPv4 documentation /24s hold only 768): client → router (forwarding) → server, each a namespace; ${CONNECTIONS.toLocaleString('en-US')} sequential TCP connections (handshake, then reset) by a small node loop in the client namespace, after 100 warm-up ones. The client is never banned, so this is what every innocent connection pays.`,
      `fail2ban's layout: chain \`f2b-${BENCH_JAIL}\` jumped to from FORWARD for tcp, one \`-s ADDR/128 -j REJECT --reject-with icmp6-port-unreachable\` rule per ban and RETURN at the end, as its iptables-multiport action grows it, loaded at once with ip6tables-restore (both the iptables-nft and the iptables-legacy variant). f2b-fw's: the daemon itself in the router namespace with ${PACKET_BANS.toLocaleString('en-US')} bans in its set (hooks input + forward).`,
    ],
  };
}
