import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadJailConfig } from '../src/config/load.js';
import { firewallLayout } from '../src/fw/spec.js';
import { staticCommand, dynamicCommand } from '../src/actions/tags.js';
import { tempConfigDir, type TempConfigDir } from './support/config-files.js';
import { runCli } from './support/cli-run.js';
import { fetchFail2ban, removeFail2ban, type Fail2banTree } from './compat/samples.js';

let tree: Fail2banTree | string;
before(() => { tree = fetchFail2ban(); });
after(() => { if (typeof tree !== 'string') removeFail2ban(tree); });

/** A config dir holding Debian's fail2ban configuration (jail.d removed) plus `files`. */
function debianConfig(files: Record<string, string>): TempConfigDir {
  const t = tempConfigDir();
  cpSync((tree as Fail2banTree).configDir, t.dir, { recursive: true });
  rmSync(join(t.dir, 'jail.d'), { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) t.write(rel, text);
  return t;
}

const JAIL_LOCAL = `[sshd]
enabled = true
port = 2222
action = %(action_mwl)s
         abuseipdb[abuseipdb_apikey="k3y, with comma", abuseipdb_category="18,22",
                   matches="Visit: https://example.org/"]
[apache-auth]
enabled = true
banaction = %(banaction_allports)s
action = %(known/action)s
   dummy
`;

test('Debian\'s jail.conf: %(action_mwl)s, %(known/action)s, continuation lines and quoted multi-line arguments resolve as in fail2ban', (t) => {
  if (typeof tree === 'string') { t.skip(tree); return; }
  const cfg = debianConfig({ 'jail.local': JAIL_LOCAL });
  try {
    const loaded = loadJailConfig(cfg.dir);
    const sshd = loaded.actions.get('sshd')!;
    assert.deepEqual(sshd.map((a) => [a.name, a.kind, a.reporter ?? '']), [
      ['iptables-multiport', 'firewall', ''], ['sendmail-whois-lines', 'reporter', 'mail'], ['abuseipdb', 'reporter', 'abuseipdb'],
    ]);
    const abuse = sshd[2]!;
    assert.equal(abuse.ref.args.get('abuseipdb_apikey'), 'k3y, with comma');
    assert.equal(abuse.ref.args.get('matches'), 'Visit: https://example.org/');
    assert.equal(abuse.def!.options.get('norestored')!.value, '1');
    assert.equal(abuse.ref.args.get('name'), 'sshd', 'name defaults to the jail');
    const fw = sshd[0]!;
    assert.equal(fw.ref.args.get('port'), '2222');
    assert.equal(staticCommand(fw.def!, 'chain', 'inet4'), 'INPUT', '<known/chain> is the action\'s [Init] chain');
    assert.match(staticCommand(fw.def!, 'actionban', 'inet6'), /^ip6tables -w -I f2b-sshd 1 -s <ip> -j REJECT --reject-with icmp6-port-unreachable$/, '[Init?family=inet6]');
    assert.match(staticCommand(fw.def!, 'actionban', 'inet4'), /^iptables -w -I f2b-sshd 1 -s <ip> -j REJECT --reject-with icmp-port-unreachable$/);
    const apache = loaded.actions.get('apache-auth')!;
    assert.deepEqual(apache.map((a) => [a.name, a.kind]), [['iptables-allports', 'firewall'], ['dummy', 'command']]);
    const layout = firewallLayout(loaded);
    const j = (n: string) => layout.jails.find((x) => x.name === n)!;
    assert.match(JSON.stringify(j('sshd').ports), /2222/, 'the jail\'s port reaches the rules through the action\'s port argument');
    assert.equal(j('apache-auth').ports, 'all', 'type=allports');
    assert.equal(j('sshd').verdict, 'reject', 'the action\'s blocktype REJECT --reject-with …');
  } finally { cfg.remove(); }
});

test('a .local that only changes the chain keeps a firewall action (forward hook); one that replaces actionban makes it a command', (t) => {
  if (typeof tree === 'string') { t.skip(tree); return; }
  const cfg = debianConfig({
    'jail.local': '[sshd]\nenabled = true\n[apache-auth]\nenabled = true\naction = nftables[port="80,443"] abuseipdb[abuseipdb_apikey=x]\n',
    'action.d/iptables-multiport.local': '[Init]\nchain = FORWARD\n',
    'action.d/nftables.local': '[Definition]\nactionban = logger -t f2b "<ip>"\n',
  });
  try {
    const loaded = loadJailConfig(cfg.dir);
    assert.equal(loaded.actions.get('sshd')![0]!.kind, 'firewall');
    const layout = firewallLayout(loaded);
    assert.deepEqual(layout.jails.find((x) => x.name === 'sshd')!.hooks, ['forward']);
    const apache = loaded.actions.get('apache-auth')!;
    assert.equal(apache[0]!.kind, 'command');
    assert.match(apache[0]!.reason, /actionban replaced in .*nftables\.local:2/);
    assert.equal(apache[1]!.kind, 'reporter');
  } finally { cfg.remove(); }
});

test('the same action twice in a jail is refused naming file and line; a bad reference names the value', () => {
  const cfg = tempConfigDir({ 'jail.local': '[DEFAULT]\nbanaction = nftables\n[x]\nenabled = true\nlogpath = /dev/null\nfilter = sshd\naction = webhook[url="http://a"]\n  webhook[url="http://b"]\n' });
  try {
    assert.throws(() => loadJailConfig(cfg.dir), (e: Error) => /jail\.local:7 \[x\] action = .*webhook is named twice/.test(e.message));
    cfg.write('jail.local', '[x]\nenabled = true\nlogpath = /dev/null\naction = webhook[url="http://a"\n');
    assert.throws(() => loadJailConfig(cfg.dir), (e: Error) => /jail\.local:4 \[x\] action = .*missing closing \]/.test(e.message));
    cfg.write('jail.local', '[x]\nenabled = true\nlogpath = /dev/null\naction = webhook[url="http://a"] webhook[actname=second, url="http://b"]\n');
    assert.deepEqual(loadJailConfig(cfg.dir).actions.get('x')!.map((a) => a.name), ['webhook', 'second']);
  } finally { cfg.remove(); }
});

test('an own action: [Init], [Init?family=inet6], actionban?family=inet6 (from [Definition?family=inet6]), arguments over [Init], recursive tags; errors name the file', () => {
  const cfg = tempConfigDir({
    'jail.local': '[x]\nenabled = true\nlogpath = /dev/null\naction = mine[who="ops team", timeout=5]\n',
    'action.d/mine.conf': [
      '[Definition]', 'norestored = 1', 'actionban = <cmd> <ip> for <name> by <who> <F-USER> <known/who>',
      'cmd = <tool> --log', '[Definition?family=inet6]', 'actionban = <cmd> -6 <ip>', '[Init]', 'tool = notify', 'who = nobody', 'timeout = 30', '[Init?family=inet6]', 'tool = notify6', '',
    ].join('\n'),
  });
  try {
    const [a] = loadJailConfig(cfg.dir).actions.get('x')!;
    assert.equal(a!.kind, 'command');
    assert.equal(staticCommand(a!.def!, 'actionban', 'inet4'), 'notify --log <ip> for x by ops team <F-USER> nobody');
    assert.equal(staticCommand(a!.def!, 'actionban', 'inet6'), 'notify6 --log -6 <ip>');
    assert.equal(a!.def!.options.get('timeout')!.value, '5');
    cfg.write('action.d/mine.local', '[Definition]\ncmd = %(nothere)s\n');
    assert.throws(() => loadJailConfig(cfg.dir), (e: Error) => /mine\.local:2 \[Definition\] cmd = .*nothere/.test(e.message));
  } finally { cfg.remove(); }
});

test('dynamic values reach the shell as variables in every quoting context, never as text', () => {
  const values = {
    ip: '192.0.2.7', family: 'inet4' as const, failures: 3, time: 1, bantime: 600, bancount: 1,
    matches: ['a"; touch /tmp/x; echo "$(id)`id`\'q'], ipmatches: [], ipjailmatches: [], fields: { user: "r'oot$(id)" },
  };
  const cmd = dynamicCommand(`echo <ip> "m=<matches>" 'u=<F-USER>' <F-MISSING>x`, values);
  assert.equal(cmd.script, `echo "\${f2bV_ip}" "m=\${f2bV_matches}" 'u='"\${f2bV_F_user}"'' "\${f2bV_F_missing}"x`);
  assert.equal(cmd.env.f2bV_matches, values.matches[0]);
  assert.equal(cmd.env.f2bV_F_user, "r'oot$(id)");
});

test('check-config prints the actions table and --json lists them', async (t) => {
  if (typeof tree === 'string') { t.skip(tree); return; }
  const cfg = debianConfig({ 'jail.local': JAIL_LOCAL });
  try {
    const text = await runCli(['check-config', '--config-dir', cfg.dir]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /sshd\s+abuseipdb\s+reporter \(abuseipdb\)/);
    assert.match(text.stdout, /sshd\s+sendmail-whois-lines\s+reporter \(mail\)/);
    assert.match(text.stdout, /apache-auth\s+dummy\s+command/);
    const json = await runCli(['check-config', '--config-dir', cfg.dir, '--json']);
    const summary = JSON.parse(json.stdout) as { jails: { name: string; actions: { name: string; kind: string }[] }[] };
    assert.deepEqual(summary.jails.find((j) => j.name === 'sshd')!.actions.map((a) => a.kind), ['firewall', 'reporter', 'reporter']);
  } finally { cfg.remove(); }
});
