/**
 * kernelFilterPresence (src/fw/filter-presence.ts) against real iptables in a
 * namespace: it must say "may hold f2b-* chains" wherever `*-save` would show
 * one (or the stale sweep would skip a leftover), and "no" on a namespace
 * without filter tables, so the daemon's start forks no `*-save` there.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { hostFirewallSnapshot, Netns } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));

const MODULE = fileURLToPath(new URL('../src/fw/filter-presence.js', import.meta.url));

/** The answers for every variant and family, asked by a node process inside `ns`. */
function answers(ns: Netns): Record<string, boolean> {
  const script = `const { kernelFilterPresence: p } = await import(${JSON.stringify(MODULE)});
    const out = {};
    for (const v of ['legacy', 'nft']) for (const f of ['inet', 'inet6']) out[v + ' ' + f] = await p(v, f);
    process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(ns.run('node', ['--input-type=module', '-e', script])) as Record<string, boolean>;
}

const NONE = { 'legacy inet': false, 'legacy inet6': false, 'nft inet': false, 'nft inet6': false };

for (const variant of ['legacy', 'nft'] as const) {
  test(`iptables-${variant}: no filter table, then one without f2b-* chains, say no; an f2b-* chain says yes for its family only`, () => {
    const ns = Netns.create(`fp${variant.slice(0, 3)}`);
    try {
      assert.deepEqual(answers(ns), NONE, 'a new namespace has nothing to read');
      ns.run(`iptables-${variant}-restore`, [], '*filter\n:my-chain - [0:0]\n-A INPUT -j my-chain\nCOMMIT\n');
      const plain = answers(ns);
      // A legacy filter table is listed in /proc whatever its chains: it is read (and holds nothing of ours).
      assert.deepEqual(plain, { ...NONE, ...(variant === 'legacy' ? { 'legacy inet': true } : {}) });
      ns.run(`iptables-${variant}-restore`, ['--noflush'], '*filter\n:f2b-sshd - [0:0]\n-A f2b-sshd -j RETURN\n-A INPUT -j f2b-sshd\nCOMMIT\n');
      assert.deepEqual(answers(ns), { ...NONE, [`${variant} inet`]: true }, 'only the table holding the chain is read');
    } finally {
      ns.destroy();
    }
  });
}
