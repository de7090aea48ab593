/**
 * The router lab's Vagrantfile: `vagrant validate` accepts it (provider settings aside, as CI has
 * no hypervisor), a broken copy is caught, the provisioning scripts are valid bash, and both machine
 * providers (test/machine-lab/provider-*.sh) offer what the one shared scenario uses.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
  mkdirSync(copy, { recursive: true });
  copyFileSync(join(PACKAGE_ROOT, 'Vagrantfile'), join(copy, 'Vagrantfile'));
  const r = validate(copy);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /provision-\w+\.sh/);
});

test('the lab uses documentation ranges only and the scripts parse as bash (provisioning and the shared scenario)', () => {
  const text = readFileSync(join(PACKAGE_ROOT, 'Vagrantfile'), 'utf8');
  const ips = [...text.matchAll(/lab_network\(\w+\.vm, '([\d.]+)'/g)].map((m) => m[1]!);
  assert.deepEqual(ips.sort(), ['192.0.2.10', '192.0.2.254', '198.51.100.2', '198.51.100.254']);
  assert.match(text, /test\/machine-lab\/run\.sh vagrant/);
  const dir = join(PACKAGE_ROOT, 'vagrant');
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.sh')).map((f) => join(dir, f));
  assert.equal(scripts.length, 3);
  const lab = join(PACKAGE_ROOT, 'test', 'machine-lab');
  scripts.push(...readdirSync(lab).filter((f) => f.endsWith('.sh')).map((f) => join(lab, f)));
  for (const s of scripts) {
    const r = spawnSync('bash', ['-n', s], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
  }
  // Both providers define the whole interface the one scenario uses.
  for (const provider of ['nspawn', 'vagrant']) {
    const src = readFileSync(join(lab, `provider-${provider}.sh`), 'utf8');
    for (const fn of ['lab_up', 'on', 'put', 'power_cycle', 'lab_down']) assert.match(src, new RegExp(`^${fn}\\(\\) \\{`, 'm'), `${provider}: ${fn}`);
    for (const v of ['ROUTER_ADDR', 'ATTACKER', 'CLIENT', 'ROUTER_LAN', 'LAN_ADDR', 'LAB_UNIT_DROPIN']) assert.match(src, new RegExp(`^${v}=`, 'm'), `${provider}: ${v}`);
  }
});
