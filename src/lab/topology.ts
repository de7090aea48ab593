/**
 * The router lab: an attacker and an innocent client on the outside, a router
 * that port-forwards tcp/8080 to a web server on its LAN, all in namespaces.
 *
 *   attacker 198.51.100.2 ──wan0── router ──lan0── lan 192.0.2.10 (:80)
 *   client   203.0.113.2  ──wan1──   │ :22, DNAT 8080 → 192.0.2.10:80
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { LabCommandError, LabHost } from './host.js';

/** Addresses used by the lab (documentation ranges only). */
export const LAB_ADDR = {
  attacker: '198.51.100.2',
  routerWan0: '198.51.100.1',
  client: '203.0.113.2',
  routerWan1: '203.0.113.1',
  routerLan: '192.0.2.1',
  lan: '192.0.2.10',
  sshPort: 22,
  forwardPort: 8080,
  webPort: 80,
} as const;

/** The nat table the lab's "admin" owns on the router: foreign to f2b-fw. */
export const LAB_NAT_RULESET = `table ip lab-nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    tcp dport ${LAB_ADDR.forwardPort} dnat to ${LAB_ADDR.lan}:${LAB_ADDR.webPort}
  }
}
`;

/** The four hosts and the listeners running on them. */
export interface Lab {
  readonly attacker: LabHost;
  readonly client: LabHost;
  readonly router: LabHost;
  readonly lan: LabHost;
  /** Stops every process and removes every namespace. */
  destroy(): void;
}

let vethCounter = 0;

/** Joins two hosts with a veth pair, names the ends and gives each an address. */
function wire(a: LabHost, aIf: string, aAddr: string, b: LabHost, bIf: string, bAddr: string): void {
  const tmpA = `f2blab${process.pid % 10000}a${vethCounter}`;
  const tmpB = `f2blab${process.pid % 10000}b${vethCounter++}`;
  a.run('ip', ['link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB]);
  a.run('ip', ['link', 'set', tmpB, 'netns', String(b.pid)]);
  for (const [host, tmp, name, addr] of [[a, tmpA, aIf, aAddr], [b, tmpB, bIf, bAddr]] as const) {
    host.run('ip', ['link', 'set', tmp, 'name', name]);
    host.run('ip', ['addr', 'add', addr, 'dev', name]);
    host.run('ip', ['link', 'set', name, 'up']);
  }
}

/** Starts a TCP listener that accepts and closes every connection; returns once it listens. */
function listen(host: LabHost, port: number): ChildProcess {
  const child = host.spawn('socat', [`TCP4-LISTEN:${port},fork,reuseaddr`, 'SYSTEM:true'], { stdio: 'ignore' });
  for (let i = 0; i < 500; i++) {
    if (host.run('ss', ['-Hltn', `sport = :${port}`]).trim() !== '') return child;
    execFileSync('sleep', ['0.01']);
  }
  throw new LabCommandError(host.name, ['socat', `TCP4-LISTEN:${port}`], 'listener did not come up within 5 s');
}

/** Builds the lab: hosts, links, routes, forwarding, the router's DNAT, listeners. */
export function buildLab(): Lab {
  const hosts: LabHost[] = [];
  const destroy = (): void => {
    for (const h of hosts) h.stop();
  };
  try {
    const attacker = LabHost.start('attacker');
    hosts.push(attacker);
    const client = LabHost.start('client');
    hosts.push(client);
    const router = LabHost.start('router');
    hosts.push(router);
    const lan = LabHost.start('lan');
    hosts.push(lan);

    wire(router, 'wan0', `${LAB_ADDR.routerWan0}/24`, attacker, 'eth0', `${LAB_ADDR.attacker}/24`);
    wire(router, 'wan1', `${LAB_ADDR.routerWan1}/24`, client, 'eth0', `${LAB_ADDR.client}/24`);
    wire(router, 'lan0', `${LAB_ADDR.routerLan}/24`, lan, 'eth0', `${LAB_ADDR.lan}/24`);
    attacker.run('ip', ['route', 'add', 'default', 'via', LAB_ADDR.routerWan0]);
    client.run('ip', ['route', 'add', 'default', 'via', LAB_ADDR.routerWan1]);
    lan.run('ip', ['route', 'add', 'default', 'via', LAB_ADDR.routerLan]);
    router.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    router.run('nft', ['-f', '-'], LAB_NAT_RULESET);

    listen(router, LAB_ADDR.sshPort);
    listen(lan, LAB_ADDR.webPort);
    return { attacker, client, router, lan, destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}

/** True when `from` can open a TCP connection to host:port within the timeout. */
export function canConnect(from: LabHost, host: string, port: number, timeoutSec = 1): boolean {
  return from.try('nc', ['-z', '-w', String(timeoutSec), host, String(port)]);
}

/** Tells whether this process may build the lab (root, or inside a user namespace as mapped root). */
export function labPrivilegeProblem(): string | null {
  try {
    execFileSync('unshare', ['--net', '--', 'true'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'cannot create a network namespace (needs root, or an unprivileged user namespace: `unshare -r -n true` must work; see sysctl user.max_user_namespaces and kernel.apparmor_restrict_unprivileged_userns)';
  }
}
