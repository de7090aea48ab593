/**
 * The packet-path lab, IPv6 (so 10,000 distinct banned addresses fit in the
 * documentation range 2001:db8::/32): a client, a router, a server, each a
 * namespace, and the two ways of holding 10,000 bans on the router —
 * fail2ban's iptables chain (one `-s ADDR -j REJECT` rule per ban, as its
 * iptables-multiport action grows it) and f2b-fw's nftables set (the daemon's
 * own layout, so the router namespace is the daemon's).
 *
 *   client 2001:db8:c1::2 ── router (forwarding) ── server 2001:db8:5e::2 :PORT
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Netns, link } from '../../test/support/netns.js';
import type { LoopResult } from './connect-loop.js';

const LOOP = fileURLToPath(new URL('./connect-loop.js', import.meta.url));

/** The lab's addresses and port. */
export const ROUTER_LAB = { client: '2001:db8:c1::2', routerClient: '2001:db8:c1::1', routerServer: '2001:db8:5e::1', server: '2001:db8:5e::2', port: 8080 } as const;

/** The i-th banned address (i < 65536 * 65536): 2001:db8:ba:X:Y::1, never one of the lab's own. */
export function bannedAddress(i: number): string {
  return `2001:db8:ba:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
}

/** Client and server around a router namespace the caller owns. */
export interface RouterLab {
  readonly client: Netns;
  readonly server: Netns;
  /** N sequential connections from the client to the server through the router. */
  connect(n: number): Promise<LoopResult>;
  destroy(): void;
}

function output(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => { out += t; });
    child.stderr!.setEncoding('utf8').on('data', (t: string) => { err += t; });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`connect loop exited ${code}: ${err}`))));
  });
}

/** Wires client and server to `router`, enables forwarding there and starts the listener. */
export async function routerLab(router: Netns, label: string): Promise<RouterLab> {
  const client = Netns.create(`${label}c`);
  const server = Netns.create(`${label}s`);
  const destroy = (): void => {
    client.destroy();
    server.destroy();
  };
  try {
    link(client, 'eth0', [`${ROUTER_LAB.client}/64`], router, 'cli0', [`${ROUTER_LAB.routerClient}/64`]);
    link(server, 'eth0', [`${ROUTER_LAB.server}/64`], router, 'srv0', [`${ROUTER_LAB.routerServer}/64`]);
    client.run('ip', ['-6', 'route', 'add', 'default', 'via', ROUTER_LAB.routerClient]);
    server.run('ip', ['-6', 'route', 'add', 'default', 'via', ROUTER_LAB.routerServer]);
    router.enableForwarding();
    const listener = server.spawn('node', [LOOP, 'listen', String(ROUTER_LAB.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: listener.stdout! }).once('line', () => resolve());
      listener.once('exit', (code) => reject(new Error(`listener exited ${code}`)));
    });
    const connect = async (n: number): Promise<LoopResult> => {
      const child = spawn('ip', ['netns', 'exec', client.name, 'node', LOOP, 'connect', ROUTER_LAB.server, String(ROUTER_LAB.port), String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
      return JSON.parse(await output(child)) as LoopResult;
    };
    return { client, server, connect, destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}

/**
 * fail2ban's iptables layout for `count` bans, as ip6tables-restore input: chain
 * f2b-JAIL jumped to from FORWARD for tcp, one REJECT rule per banned address
 * (newest first, as fail2ban inserts at position 1), RETURN at the end.
 */
export function fail2banIptablesRules(jail: string, count: number): string {
  const chain = `f2b-${jail}`;
  const lines = ['*filter', `:${chain} - [0:0]`, `-A FORWARD -p tcp -j ${chain}`];
  for (let i = count - 1; i >= 0; i--) lines.push(`-A ${chain} -s ${bannedAddress(i)}/128 -j REJECT --reject-with icmp6-port-unreachable`);
  lines.push(`-A ${chain} -j RETURN`, 'COMMIT', '');
  return lines.join('\n');
}
