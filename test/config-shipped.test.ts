import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadJailConfig } from '../src/config/load.js';
import { loadFilterDefinition } from '../src/config/filter-load.js';
import { firewallLayout } from '../src/fw/spec.js';
import { jailSettings } from '../src/jail/settings.js';
import { tempConfigDir } from './support/config-files.js';

describe('the shipped rules/jail.conf', () => {
  const tmp = tempConfigDir({ 'jail.local': '[DEFAULT]\nenabled = true\n' });
  after(() => tmp.remove());

  it('loads every jail, enabled, with its shipped filter and valid settings', () => {
    const cfg = loadJailConfig(tmp.dir);
    assert.ok(cfg.jails.length >= 18);
    for (const raw of cfg.jails) {
      const s = jailSettings(raw);
      assert.equal(s.enabled, true, raw.name);
      assert.ok(s.logpath.length > 0, `${raw.name} has a logpath`);
      const def = loadFilterDefinition(tmp.dir, s.filter, raw);
      assert.ok((def.settings.get('failregex')?.value ?? '').trim() !== '', `${raw.name} filter has a failregex`);
    }
  });

  it('passes the firewall checks; recidive and the port-scan jails cover every port and protocol', () => {
    const layout = firewallLayout(loadJailConfig(tmp.dir));
    assert.equal(layout.priority, -10);
    const byName = new Map(layout.jails.map((j) => [j.name, j]));
    for (const name of ['recidive', 'ufw-port-scan', 'portsentry']) assert.equal(byName.get(name)?.ports, 'all', name);
    assert.deepEqual(byName.get('sshd')?.ports, [{ from: 22, to: 22 }]);
    assert.deepEqual(byName.get('sshd')?.hooks, ['input', 'forward']);
    const recidive = jailSettings(loadJailConfig(tmp.dir).jails.find((j) => j.name === 'recidive')!);
    assert.equal(recidive.bantime, 7 * 86400);
    assert.equal(recidive.findtime, 86400);
  });
});
