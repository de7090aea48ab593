/**
 * The router lab's Vagrantfile: `vagrant validate` accepts it (provider settings aside, as CI has
 * no hypervisor), its provisioning scripts are valid bash, and a broken copy is caught.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/core/paths.js';

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
  spawnSync('mkdir', ['-p', copy]);
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
  for (const s of scripts) {
    const r = spawnSync('bash', ['-n', join(dir, s)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
  }
});
