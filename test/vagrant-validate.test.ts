/**
 * The router lab's Vagrantfile: `vagrant validate` accepts it (provider settings aside, as CI has
 * no hypervisor), a broken copy is caught, the provisioning scripts are valid bash, and what the
 * router gets — its nftables ruleset and jail.local — is accepted by nft and by check-config.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRY, PACKAGE_ROOT } from '../src/core/paths.js';
import { Netns } from './support/netns.js';

const scratch = mkdtempSync(join(tmpdir(), 'f2bt-vagrant-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const haveVagrant = spawnSync('vagrant', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = haveVagrant ? false : 'vagrant is not installed (Debian 12: apt-get install vagrant)';

/** `vagrant validate` on the Vagrantfile in `dir`, keeping Vagrant's own files in the scratch dir. */
function validate(dir: string): { status: number | null; out: string } {
  const r = spawnSync('vagrant', ['validate', '--ignore-provider', '--no-color'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, VAGRANT_CWD: dir, VAGRANT_HOME: join(scratch, 'home'), VAGRANT_DOTFILE_PATH: join(scratch, 'dot'), VAGRANT_CHECKPOINT_DISABLE: '1' },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('vagrant validate accepts the three-machine lab without warnings', { skip }, () => {
  const r = validate(PACKAGE_ROOT);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /Vagrantfile validated successfully/);
  for (const machine of ['lan', 'router', 'attacker']) assert.match(r.out, new RegExp(`==> ${machine}: `));
  assert.doesNotMatch(r.out, /WARNING|static IP ending in/i);
});

test('a Vagrantfile whose provisioning scripts are missing is refused', { skip }, () => {
  const copy = join(scratch, 'copy');
  mkdirSync(copy, { recursive: true });
  copyFileSync(join(PACKAGE_ROOT, 'Vagrantfile'), join(copy, 'Vagrantfile'));
  const r = validate(copy);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /provision-\w+\.sh/);
});

test('the lab uses documentation ranges only and the scripts parse as bash', () => {
  const text = readFileSync(join(PACKAGE_ROOT, 'Vagrantfile'), 'utf8');
  const ips = [...text.matchAll(/lab_network\(\w+\.vm, '([\d.]+)'/g)].map((m) => m[1]!);
  assert.deepEqual(ips.sort(), ['192.0.2.10', '192.0.2.254', '198.51.100.2', '198.51.100.254']);
  const dir = join(PACKAGE_ROOT, 'vagrant');
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh'));
  assert.deepEqual(scripts.sort(), ['provision-attacker.sh', 'provision-lan.sh', 'provision-router.sh', 'scenario.sh']);
  assert.match(readFileSync(join(dir, 'provision-router.sh'), 'utf8'), /router-nftables\.conf > \/etc\/nftables\.conf/);
  for (const s of scripts) {
    const r = spawnSync('bash', ['-n', join(dir, s)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
  }
});

test('the router\'s base ruleset is accepted by nft (checked in a namespace) and a typo is not', () => {
  const ns = Netns.create('lab-nft');
  try {
    const file = join(PACKAGE_ROOT, 'vagrant', 'router-nftables.conf');
    ns.run('nft', ['-c', '-f', file]);
    const broken = join(scratch, 'broken.conf');
    writeFileSync(broken, readFileSync(file, 'utf8').replace('dnat to', 'dnatt to'));
    assert.throws(() => ns.run('nft', ['-c', '-f', broken]), /dnatt/);
  } finally {
    ns.destroy();
  }
});

test('the router\'s jail.local passes f2b-fw check-config with both lab jails enabled', () => {
  const etc = join(scratch, 'etc');
  mkdirSync(etc, { recursive: true });
  copyFileSync(join(PACKAGE_ROOT, 'vagrant', 'jail.local'), join(etc, 'jail.local'));
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'check-config', '--config-dir', etc], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2 enabled jail\(s\): sshd, ufw-port-scan/);
});
