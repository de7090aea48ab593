/** Port parsing and firewall layout validation (pure: no kernel). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePorts, ServiceTable } from '../src/config/ports.js';
import { firewallLayout, parsePriority } from '../src/fw/spec.js';
import { ConfigError } from '../src/core/errors.js';
import type { RawSection, Setting } from '../src/config/types.js';

const services = ServiceTable.load();
const pos = { file: '/etc/f2b-fw/jail.local', line: 3, section: 'sshd', key: 'port' };

function section(name: string, kv: Record<string, string>): RawSection {
  const settings = new Map<string, Setting>();
  let line = 1;
  for (const [key, value] of Object.entries(kv)) settings.set(key, { value, pos: { file: '/cfg/jail.local', line: line++, section: name, key, value } });
  return { name, settings };
}

test('ports: numbers, both range spellings, service names, merged and sorted', () => {
  assert.deepEqual(parsePorts('ssh', services, pos), [{ from: 22, to: 22 }]);
  assert.deepEqual(parsePorts('http, https 8080', services, pos), [{ from: 80, to: 80 }, { from: 443, to: 443 }, { from: 8080, to: 8080 }]);
  assert.deepEqual(parsePorts('1000:2000,1500-2500', services, pos), [{ from: 1000, to: 2500 }]);
  assert.deepEqual(parsePorts('0:65535', services, pos), [{ from: 0, to: 65535 }]);
  assert.deepEqual(parsePorts('ftp-data', services, pos), [{ from: 20, to: 20 }]);
  assert.equal(parsePorts('ALL', services, pos), 'all');
});

test('ports: bad values are refused naming file, line and value', () => {
  for (const bad of ['nosuchservice', '70000', '2000:1000', '1:2:3', 'all,22', '', '22;rm']) {
    assert.throws(() => parsePorts(bad, services, { ...pos, value: bad }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /jail\.local:3 \[sshd\] port/);
      return true;
    }, bad);
  }
  assert.throws(() => parsePorts('nosuchservice', services, pos), /unknown service name "nosuchservice" \(not in \/etc\/services\)/);
});

test('priority: numbers and named forms', () => {
  assert.equal(parsePriority('-10', pos), -10);
  assert.equal(parsePriority('filter - 10', pos), -10);
  assert.equal(parsePriority('raw+5', pos), -295);
  assert.throws(() => parsePriority('filtre', pos), /unknown priority name/);
  assert.throws(() => parsePriority('10 apples', pos), /priority must be/);
});

test('layout: enabled jails only, defaults, port=all means all protocols', () => {
  const layout = firewallLayout({
    configDir: '/cfg',
    defaults: section('DEFAULT', { priority: 'filter - 20' }),
    jails: [
      section('sshd', { enabled: 'true', port: 'ssh', protocol: 'tcp' }),
      section('off', { enabled: 'false', port: 'nosuchservice' }),
      section('recidive', { enabled: 'yes', port: 'all', blocktype: 'REJECT --reject-with icmp-port-unreachable', hooks: 'input forward prerouting' }),
      section('dns', { enabled: '1', port: 'domain', protocol: 'udp, tcp', verdict: 'reject', hooks: 'input' }),
    ],
  }, services);
  assert.equal(layout.priority, -20);
  assert.deepEqual(layout.jails.map((j) => j.name), ['sshd', 'recidive', 'dns']);
  assert.deepEqual(layout.jails[0], { name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input', 'forward'], verdict: 'drop', maxelem: 1048576 });
  assert.deepEqual(layout.jails[1], { name: 'recidive', ports: 'all', protocols: ['tcp', 'udp', 'sctp', 'dccp'], hooks: ['input', 'forward', 'prerouting'], verdict: 'reject', maxelem: 1048576 });
  assert.deepEqual(layout.jails[2]?.protocols, ['tcp', 'udp']);
  assert.deepEqual(layout.jails[2]?.hooks, ['input']);
});

test('layout: bad protocol, hook, verdict, per-jail priority and jail name are refused', () => {
  const cfg = (kv: Record<string, string>, name = 'sshd') => ({ configDir: '/cfg', defaults: section('DEFAULT', {}), jails: [section(name, { enabled: 'true', ...kv })] });
  assert.throws(() => firewallLayout(cfg({ protocol: 'icmp' }), services), /\/cfg\/jail\.local:\d+ \[sshd\] protocol = "icmp": unknown protocol/);
  assert.throws(() => firewallLayout(cfg({ hooks: 'output' }), services), /\[sshd\] hooks = "output": unknown hook/);
  assert.throws(() => firewallLayout(cfg({ verdict: 'accept' }), services), /verdict must be drop or reject/);
  assert.throws(() => firewallLayout(cfg({ blocktype: 'RETURN' }), services), /blocktype must be DROP or REJECT/);
  assert.throws(() => firewallLayout(cfg({ priority: '5' }), services), /share one base chain priority \(-10/);
  assert.doesNotThrow(() => firewallLayout(cfg({ priority: 'filter - 10' }), services));
  assert.throws(() => firewallLayout(cfg({}, 'bad name'), services), /jail name must be/);
});

test('layout: maxelem is a bounded whole number, refused with file, line and value', () => {
  const cfg = (maxelem: string) => ({ configDir: '/cfg', defaults: section('DEFAULT', {}), jails: [section('sshd', { enabled: 'true', maxelem })] });
  assert.equal(firewallLayout(cfg('5'), services).jails[0]!.maxelem, 5);
  assert.equal(firewallLayout(cfg(' 16777216 '), services).jails[0]!.maxelem, 16_777_216);
  for (const bad of ['0', '-1', '1.5', '1e6', '16777217', '99999999999999999999', 'lots', '']) {
    assert.throws(() => firewallLayout(cfg(bad), services), /\/cfg\/jail\.local:\d+ \[sshd\] maxelem = .*: maxelem must be a whole number from 1 to 16777216/, bad);
  }
});
