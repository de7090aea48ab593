/**
 * Router case in a real kernel: client → router (DNAT 8080 → 192.0.2.10:80)
 * → LAN host. A jail on the external port 8080 (hooks input + forward) blocks
 * the forwarded connection, because forward matches the pre-DNAT port; a
 * jail on another port does not. The router's own nat table stays untouched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Netns, canConnect, hostFirewallSnapshot, link, listen, waitFor } from './support/netns.js';
import { NftAgent } from './support/nft-agent.js';
import type { FirewallLayout } from '../src/fw/layout.js';

const layout: FirewallLayout = {
  priority: -10,
  jails: [
    { name: 'web8080', ports: [{ from: 8080, to: 8080 }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 },
    { name: 'other', ports: [{ from: 9999, to: 9999 }], protocols: ['tcp', 'udp'], hooks: ['input', 'forward'], verdict: 'reject', maxelem: 1048576 },
    { name: 'early', ports: [{ from: 8080, to: 8080 }], protocols: ['tcp'], hooks: ['prerouting'], verdict: 'drop', maxelem: 1048576 },
  ],
};
const NAT = 'table ip nat {\n chain pre {\n  type nat hook prerouting priority dstnat; policy accept;\n  tcp dport 8080 dnat to 192.0.2.10:80\n }\n}\n';

let client: Netns;
let router: Netns;
let lan: Netns;
let agent: NftAgent;
let hostBefore: string;

before(async () => {
  hostBefore = hostFirewallSnapshot();
  client = Netns.create('rcli');
  router = Netns.create('rtr');
  lan = Netns.create('rlan');
  link(client, 'eth0', ['203.0.113.2/24'], router, 'wan', ['203.0.113.1/24']);
  link(router, 'lan', ['192.0.2.1/24'], lan, 'eth0', ['192.0.2.10/24']);
  lan.run('ip', ['route', 'add', 'default', 'via', '192.0.2.1']);
  router.enableForwarding();
  router.run('nft', ['-f', '-'], NAT);
  listen(lan, 80);
  assert.ok(await waitFor(() => canConnect(client, '203.0.113.1', 8080)), 'DNAT path works before any ban');
  agent = NftAgent.start(router);
  await agent.reconcile(layout);
});

after(async () => {
  await agent?.stop();
  for (const ns of [client, router, lan]) ns?.destroy();
  assert.equal(hostFirewallSnapshot(), hostBefore, 'host firewall untouched');
});

test('a jail on another port does not block the forwarded connection', async () => {
  await agent.ban([{ jail: 'other', addr: '203.0.113.2', expiresAt: Date.now() + 600_000 }]);
  assert.ok(canConnect(client, '203.0.113.1', 8080));
  await agent.unbanAll('other');
});

test('a jail on port 8080 with hook forward blocks the connection DNATed to port 80', async () => {
  const natBefore = router.run('nft', ['list', 'table', 'ip', 'nat']);
  await agent.ban([{ jail: 'web8080', addr: '203.0.113.2', expiresAt: Date.now() + 600_000 }]);
  assert.equal(canConnect(client, '203.0.113.1', 8080), false, 'forwarded connection dropped');
  await agent.unban([{ jail: 'web8080', addr: '203.0.113.2' }]);
  assert.ok(canConnect(client, '203.0.113.1', 8080), 'works again after unban');
  assert.equal(router.run('nft', ['list', 'table', 'ip', 'nat']), natBefore, 'foreign nat table untouched');
});

test('a jail on hook prerouting blocks the DNATed connection before routing', async () => {
  await agent.ban([{ jail: 'early', addr: '203.0.113.2', expiresAt: Date.now() + 600_000 }]);
  assert.equal(canConnect(client, '203.0.113.1', 8080), false);
  await agent.unbanAll('early');
  assert.ok(canConnect(client, '203.0.113.1', 8080));
});
