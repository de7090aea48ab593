/**
 * Encoder and decoder agree: every rule shape, set, chain and the marker
 * that reconcile builds is written into a fresh namespace, dumped back over
 * nfnetlink and compared with what was encoded (rule bodies in rule-body.ts'
 * canonical form); nft itself lists the same rules back in its own syntax,
 * so the bytes are what nft would have written for that text.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Netns, hostFirewallSnapshot } from './support/netns.js';

const hostBefore = hostFirewallSnapshot();
after(() => assert.equal(hostFirewallSnapshot(), hostBefore, 'the host firewall is untouched'));
const CHILD = fileURLToPath(new URL('./support/roundtrip-child.js', import.meta.url));

test('everything reconcile encodes dumps back as encoded, and nft reads it as the rules we mean', () => {
  const ns = Netns.create('roundtrip');
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, CHILD], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { diffs: string[]; second: string[]; nft: string };
    assert.deepEqual(out.diffs, [], 'no object differs between encoder and dump');
    assert.deepEqual(out.second, [], 'a second reconcile finds nothing to do');
    const lines = out.nft.split('\n').map((l) => l.trim().replace(/ comment "f2b-fw [^"]+"$/, ''));
    for (const want of [
      'type filter hook input priority filter - 10; policy accept;',
      'type filter hook prerouting priority filter - 10; policy accept;',
      'tcp dport 22 ip saddr @one-v4 drop',
      'tcp dport 22 ip6 saddr @one-v6 drop',
      'tcp dport { 80, 443 } ip saddr @two-v4 reject with tcp reset',
      'udp dport { 80, 443 } ip6 saddr @two-v6-net reject',
      // nft 1.0.6 prints a port set of `ct original proto-dst` so for the rules it writes itself, too.
      'meta l4proto tcp ct original proto-dst { 0x50 [invalid type], 0x1bb [invalid type] } ip saddr @two-v4-net reject with tcp reset',
      'meta l4proto sctp ct original proto-dst 1000-2000 ip saddr @span-v4 reject',
      'dccp dport { 22, 5000-6000, 65000-65535 } ip6 saddr @mixed-v6 drop',
      'meta l4proto tcp ip saddr @allr-v4 reject with tcp reset',
      'meta l4proto != tcp ip6 saddr @allr-v6-net reject',
      'ip6 saddr @alld-v6 drop',
      'type ipv6_addr',
      'flags interval,timeout',
      'counter managed-by-f2b-fw {',
      'elements = { 2001:db8:1::/48 }',
    ]) assert.ok(lines.includes(want), `nft lists "${want}":\n${out.nft}`);
    assert.ok(lines.some((l) => l.startsWith('elements = { 198.51.100.0/24 timeout 10m expires')), out.nft);
  } finally {
    ns.destroy();
  }
});
