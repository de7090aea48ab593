/**
 * Bans in a real kernel: a client namespace connects to a TCP listener in a
 * server namespace whose firewall the NftDriver drives (from an agent process
 * inside the server namespace). IPv4 and IPv6, kernel timeouts, refresh.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Netns, canConnect, hostFirewallSnapshot, link, listen, waitFor } from './support/netns.js';
import { NftAgent } from './support/nft-agent.js';
import type { FirewallLayout } from '../src/fw/layout.js';

const PORT = 2222;
const layout: FirewallLayout = {
  priority: -10,
  jails: [
    { name: 'sshd', ports: [{ from: PORT, to: PORT }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 },
    { name: 'other', ports: [{ from: 9999, to: 9999 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1048576 },
    { name: 'rejector', ports: [{ from: PORT, to: PORT }], protocols: ['tcp', 'udp'], hooks: ['input'], verdict: 'reject', maxelem: 1048576 },
  ],
};

let server: Netns;
let client: Netns;
let agent: NftAgent;
let hostBefore: string;

before(async () => {
  hostBefore = hostFirewallSnapshot();
  server = Netns.create('bsrv');
  client = Netns.create('bcli');
  link(server, 'eth0', ['192.0.2.1/24', '2001:db8:1::1/64'], client, 'eth0', ['192.0.2.2/24', '2001:db8:1::2/64']);
  listen(server, PORT);
  listen(server, PORT, true);
  assert.ok(await waitFor(() => canConnect(client, '192.0.2.1', PORT)), 'listener reachable before any ban');
  agent = NftAgent.start(server);
  await agent.reconcile(layout);
});

after(async () => {
  await agent?.stop();
  server?.destroy();
  client?.destroy();
  assert.equal(hostFirewallSnapshot(), hostBefore, 'host firewall untouched');
});

for (const [label, addr, host] of [['IPv4', '192.0.2.2', '192.0.2.1'], ['IPv6', '2001:db8:1::2', '2001:db8:1::1']] as const) {
  test(`${label}: works, ban blocks, a ban in another jail does not, unban lets it through again`, async () => {
    assert.ok(canConnect(client, host, PORT));
    await agent.ban([{ jail: 'other', addr, expiresAt: Date.now() + 600_000 }]);
    assert.ok(canConnect(client, host, PORT), 'a jail on another port does not block');
    await agent.ban([{ jail: 'sshd', addr, expiresAt: Date.now() + 600_000 }]);
    assert.equal(canConnect(client, host, PORT), false, 'banned address is dropped');
    const listed = await agent.list('sshd');
    assert.deepEqual(listed.map((b) => b.addr), [addr]);
    assert.ok(listed[0]!.expiresAt! > Date.now() + 590_000);
    await agent.unban([{ jail: 'sshd', addr }, { jail: 'sshd', addr: label === 'IPv4' ? '192.0.2.77' : '2001:db8::77' }]);
    assert.ok(canConnect(client, host, PORT), 'unbanned address gets through');
    await agent.unbanAll('other');
    assert.deepEqual(await agent.list(), []);
  });
}

test('verdict reject answers with a TCP reset (connection refused), IPv4 and IPv6', async () => {
  for (const [addr, host] of [['192.0.2.2', '192.0.2.1'], ['2001:db8:1::2', '2001:db8:1::1']] as const) {
    await agent.ban([{ jail: 'rejector', addr, expiresAt: Date.now() + 600_000 }]);
    let stderr = '';
    try {
      client.run('nc', ['-v', '-z', '-w', '3', host, String(PORT)]);
    } catch (e) {
      stderr = (e as Error).message;
    }
    assert.match(stderr, /Connection refused/, `${addr} refused, not timed out`);
    await agent.unbanAll('rejector');
    assert.ok(canConnect(client, host, PORT));
  }
});

test('a prefix ban blocks the whole network; a permanent ban has no expiry', async () => {
  await agent.ban([{ jail: 'sshd', addr: '192.0.2.0/28', expiresAt: null }]);
  assert.equal(canConnect(client, '192.0.2.1', PORT), false);
  assert.deepEqual(await agent.list('sshd'), [{ jail: 'sshd', addr: '192.0.2.0/28', expiresAt: null }]);
  await agent.unbanAll('sshd');
  assert.ok(canConnect(client, '192.0.2.1', PORT));
  assert.doesNotMatch(server.run('nft', ['list', 'ruleset']), /f2b-fw-probe/, 'the refresh probe cleans up after itself');
});

/** Whether this kernel refreshes an element's timeout on a plain re-add (recent kernels do, Debian 12's 6.1 does not). */
function kernelRefreshesOnAdd(): boolean {
  server.run('nft', ['-f', '-'], 'table ip f2bt-refresh {\n set s { type ipv4_addr; flags timeout; }\n}\n');
  try {
    server.run('nft', ['add', 'element', 'ip', 'f2bt-refresh', 's', '{ 192.0.2.9 timeout 2s }']);
    server.run('nft', ['add', 'element', 'ip', 'f2bt-refresh', 's', '{ 192.0.2.9 timeout 10m }']);
    return /expires [1-9]\d*m/.test(server.run('nft', ['list', 'set', 'ip', 'f2bt-refresh', 's']));
  } finally {
    server.run('nft', ['delete', 'table', 'ip', 'f2bt-refresh']);
  }
}

for (const refresh of ['add', 'delete+add'] as const) {
  test(`re-banning refreshes the timeout (${refresh}); the kernel expires a ban without the process`, async (t) => {
    if (refresh === 'add' && !kernelRefreshesOnAdd()) {
      t.skip('this kernel does not refresh timeouts on a plain add; the driver probes this and uses delete+add (tested next)');
      return;
    }
    await agent.stop();
    agent = NftAgent.start(server, refresh);
    await agent.ban([{ jail: 'sshd', addr: '192.0.2.2', expiresAt: Date.now() + 2_000 }]);
    await agent.ban([{ jail: 'sshd', addr: '192.0.2.2', expiresAt: Date.now() + 600_000 }]);
    const [refreshed] = await agent.list('sshd');
    assert.ok(refreshed!.expiresAt! > Date.now() + 590_000, 'timeout refreshed to the new ban');
    // A short ban, then the process goes away: the kernel alone lifts it.
    await agent.ban([{ jail: 'sshd', addr: '192.0.2.2', expiresAt: Date.now() + 2_000 }]);
    const [shortened] = await agent.list('sshd');
    assert.ok(shortened!.expiresAt! < Date.now() + 3_000, 'a shorter re-ban replaces the longer timeout');
    assert.equal(canConnect(client, '192.0.2.1', PORT), false);
    await agent.stop();
    assert.ok(await waitFor(() => canConnect(client, '192.0.2.1', PORT), 8_000, 200), 'ban expired in the kernel');
    agent = NftAgent.start(server);
    assert.deepEqual(await agent.list(), []);
  });
}
