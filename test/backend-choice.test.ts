/**
 * banaction chooses the backend (pure: real config files, no kernel): fail2ban's
 * action names map onto nftables / iptables-ipset, `auto` asks the probe,
 * `--backend` overrides, a jail's own different banaction, an unknown name
 * and prerouting on the ipset backend are refused naming file/line/key/value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempConfigDir } from './support/config-files.js';
import { loadJailConfig } from '../src/config/load.js';
import { firewallLayout } from '../src/fw/spec.js';
import { ConfigError } from '../src/core/errors.js';
import { backendName, chooseBackend, type NftablesProbe } from '../src/fw/backend.js';

const usable = (): NftablesProbe => ({ usable: true, why: 'probe says yes' });
const unusable = (): NftablesProbe => ({ usable: false, why: 'the kernel has no nf_tables support' });

/** Chooses from a jail.local with [DEFAULT] `defaults` and one enabled jail with `jail` keys. */
function choose(defaults: string, jail = '', flag?: string, probe = usable) {
  const cfg = tempConfigDir({ 'jail.local': `[DEFAULT]\n${defaults}\n[sshd]\nenabled = true\nport = ssh\n${jail}\n` });
  try {
    const loaded = loadJailConfig(cfg.dir);
    return chooseBackend(flag, loaded, firewallLayout(loaded), probe);
  } finally {
    cfg.remove();
  }
}

test('fail2ban action names map onto our two backends', () => {
  for (const name of ['nftables', 'nftables-multiport', 'nftables-allports', 'nftables[type=allports]']) {
    assert.equal(choose(`banaction = ${name}`, '', undefined, unusable).backend, 'nftables', name);
  }
  for (const name of ['iptables-ipset', 'iptables-ipset-proto4', 'iptables-ipset-proto6', 'iptables-ipset-proto6-allports', 'iptables', 'iptables-multiport', 'iptables-allports', 'IPTABLES-MULTIPORT']) {
    assert.equal(choose(`banaction = ${name}`).backend, 'ipset', name);
  }
});

test('auto (the shipped default) is nftables where usable, else ipset, and says why', () => {
  const yes = choose('');
  assert.equal(yes.backend, 'nftables');
  assert.match(yes.why, /banaction = auto .*jail\.conf:\d+\): nftables is usable \(probe says yes\)/);
  const no = choose('banaction = auto', '', undefined, unusable);
  assert.equal(no.backend, 'ipset');
  assert.match(no.why, /nftables is not usable \(the kernel has no nf_tables support\), using ipset \+ iptables/);
});

test('--backend overrides banaction; iptables-ipset is an alias of ipset', () => {
  assert.equal(choose('banaction = nftables', '', 'iptables-ipset').backend, 'ipset');
  assert.equal(choose('banaction = iptables-multiport', '', 'nftables').backend, 'nftables');
  assert.equal(backendName('iptables-ipset'), 'ipset');
  assert.throws(() => backendName('pf'), /unknown backend "pf"/);
});

test('a jail with another backend than [DEFAULT] and unknown names are refused with file, line, section, key, value', () => {
  assert.throws(() => choose('banaction = nftables', 'banaction = iptables-allports'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /jail\.local:\d+ \[sshd\] banaction = "iptables-allports": one backend per daemon: \[DEFAULT\] banaction is nftables/);
    return true;
  });
  // The same backend under another fail2ban name is fine.
  assert.equal(choose('banaction = iptables-multiport', 'banaction = iptables-allports').backend, 'ipset');
  assert.throws(() => choose('banaction = shorewall'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /jail\.local:2 \[DEFAULT\] banaction = "shorewall": unknown banaction; use auto, nftables or iptables-ipset/);
    return true;
  });
  // Even with --backend the configuration must be valid.
  assert.throws(() => choose('banaction = pf', '', 'nftables'), ConfigError);
});

test('prerouting is refused on the ipset backend at the jail\'s hooks line, accepted on nftables', () => {
  assert.throws(() => choose('banaction = iptables-ipset', 'hooks = input, prerouting'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /jail\.local:\d+ \[sshd\] hooks = "input, prerouting": the iptables-ipset backend attaches to input and forward only/);
    return true;
  });
  assert.throws(() => choose('', 'hooks = prerouting', undefined, unusable), /iptables-ipset backend attaches to input and forward only/);
  assert.equal(choose('banaction = nftables', 'hooks = input, prerouting').backend, 'nftables');
});
