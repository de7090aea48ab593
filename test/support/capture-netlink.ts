/**
 * Captures, once, the netlink messages `nft` and `ipset` send for each
 * command in NFT_CASES / IPSET_CASES into test/fixtures/netlink/{nft,ipset}/
 * <name>.json (run as root, with strace installed:
 * `node dist/test/support/capture-netlink.js [nft|ipset] [NAME…]`). Each case
 * runs in a throwaway network namespace: the setup first, then the command
 * under `strace -e write=all`, whose hex dump of every sendto/sendmsg is
 * split into netlink messages. The fixture keeps the command next to the
 * bytes. test/nft-golden.test.ts and test/ipset-golden.test.ts compare our
 * encoders with these files, without root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One capture: `setup` is run first, `command` is captured (nft: `nft -f` input; ipset: `ipset restore` input, one command a line). */
interface Case { readonly name: string; readonly setup: string; readonly command: string }

const T = 'inet f2b-fw';
const TABLE = `add table ${T}\n`;
const SETS = `${TABLE}add set ${T} sshd-v4 { type ipv4_addr; flags timeout; }\nadd set ${T} sshd-v6 { type ipv6_addr; flags timeout; }\nadd set ${T} sshd-v4-net { type ipv4_addr; flags interval, timeout; }\nadd set ${T} sshd-v6-net { type ipv6_addr; flags interval, timeout; }\n`;
const CHAINS = `${SETS}add chain ${T} input { type filter hook input priority -10; policy accept; }\n`;
const C = 'comment "f2b-fw sshd input 0123456789ab"';

/** Every nftables message kind f2b-fw builds, as nft writes it. */
export const NFT_CASES: readonly Case[] = [
  { name: 'add-table', setup: '', command: TABLE },
  { name: 'add-counter', setup: TABLE, command: `add counter ${T} managed-by-f2b-fw { comment "this table is managed by f2b-fw: f2b-fw reconcile rewrites it"; }\n` },
  { name: 'add-chain-input', setup: TABLE, command: `add chain ${T} input { type filter hook input priority -10; policy accept; }\n` },
  { name: 'add-chain-prerouting', setup: TABLE, command: `add chain ${T} prerouting { type filter hook prerouting priority -300; policy accept; }\n` },
  { name: 'add-set-v4', setup: TABLE, command: `add set ${T} sshd-v4 { type ipv4_addr; flags timeout; }\n` },
  { name: 'add-set-v6-net', setup: TABLE, command: `add set ${T} sshd-v6-net { type ipv6_addr; flags interval, timeout; }\n` },
  { name: 'rule-port-drop', setup: CHAINS, command: `add rule ${T} input meta l4proto tcp th dport 22 ip saddr @sshd-v4 drop ${C}\n` },
  { name: 'rule-ports-reset-v6', setup: CHAINS, command: `add rule ${T} input meta l4proto tcp th dport { 22, 80 } ip6 saddr @sshd-v6 reject with tcp reset ${C}\n` },
  { name: 'rule-range-icmpx', setup: CHAINS, command: `add rule ${T} input meta l4proto udp th dport 1000-2000 ip saddr @sshd-v4 reject with icmpx port-unreachable ${C}\n` },
  { name: 'rule-ct-set-drop', setup: CHAINS, command: `add rule ${T} input meta l4proto tcp ct original proto-dst { 22, 1000-2000 } ip saddr @sshd-v4-net drop ${C}\n` },
  { name: 'rule-all-drop', setup: CHAINS, command: `add rule ${T} input ip6 saddr @sshd-v6-net drop ${C}\n` },
  { name: 'rule-all-reset', setup: CHAINS, command: `add rule ${T} input meta l4proto tcp ip saddr @sshd-v4 reject with tcp reset ${C}\n` },
  { name: 'rule-all-not-tcp', setup: CHAINS, command: `add rule ${T} input meta l4proto != tcp ip saddr @sshd-v4 reject with icmpx port-unreachable ${C}\n` },
  { name: 'add-element-v4', setup: SETS, command: `add element ${T} sshd-v4 { 203.0.113.9 timeout 60s }\n` },
  { name: 'add-element-v6-permanent', setup: SETS, command: `add element ${T} sshd-v6 { 2001:db8::9 }\n` },
  { name: 'add-element-v4-net', setup: SETS, command: `add element ${T} sshd-v4-net { 198.51.100.0/24 timeout 60s }\n` },
  { name: 'add-element-v6-net', setup: SETS, command: `add element ${T} sshd-v6-net { 2001:db8:1::/48 timeout 60s }\n` },
  { name: 'delete-element-v4', setup: `${SETS}add element ${T} sshd-v4 { 203.0.113.9 }\n`, command: `delete element ${T} sshd-v4 { 203.0.113.9 }\n` },
  { name: 'delete-element-v4-net', setup: `${SETS}add element ${T} sshd-v4-net { 198.51.100.0/24 }\n`, command: `delete element ${T} sshd-v4-net { 198.51.100.0/24 }\n` },
  { name: 'flush-set', setup: SETS, command: `flush set ${T} sshd-v4\n` },
  { name: 'delete-set', setup: SETS, command: `delete set ${T} sshd-v4\n` },
  { name: 'delete-rule', setup: `${CHAINS}add rule ${T} input ip saddr @sshd-v4 drop\n`, command: `delete rule ${T} input handle 6\n` },
  { name: 'flush-chain', setup: CHAINS, command: `flush chain ${T} input\n` },
  { name: 'delete-chain', setup: CHAINS, command: `delete chain ${T} input\n` },
  { name: 'delete-table', setup: TABLE, command: `delete table ${T}\n` },
  { name: 'list-table', setup: CHAINS, command: `list table ${T}\n` },
  { name: 'list-set', setup: SETS, command: `list set ${T} sshd-v4\n` },
  { name: 'list-counter', setup: TABLE, command: `list counters table ${T}\n` },
];

const GOLD = 'create f2b-gold hash:ip family inet timeout 0 maxelem 65536\n';
const GOLD6 = 'create f2b-gold6 hash:net family inet6 timeout 0 maxelem 65536\n';

/** Every ipset message kind f2b-fw builds, as the ipset tool writes it (always with -exist: no NLM_F_EXCL). */
export const IPSET_CASES: readonly Case[] = [
  { name: 'create-hash-ip', setup: '', command: GOLD },
  { name: 'create-hash-net6', setup: '', command: GOLD6 },
  { name: 'add-ip-timeout', setup: GOLD, command: 'add f2b-gold 203.0.113.9 timeout 60\n' },
  { name: 'add-net6-timeout', setup: GOLD6, command: 'add f2b-gold6 2001:db8:1::/48 timeout 60\n' },
  { name: 'del-ip', setup: GOLD, command: 'del f2b-gold 203.0.113.9\n' },
  { name: 'list', setup: GOLD, command: 'list f2b-gold\n' },
  { name: 'list-headers', setup: GOLD, command: 'list -t f2b-gold\n' },
  { name: 'swap', setup: `${GOLD}create f2b-gold-new hash:ip family inet timeout 0 maxelem 65536\n`, command: 'swap f2b-gold-new f2b-gold\n' },
  { name: 'flush', setup: GOLD, command: 'flush f2b-gold\n' },
  { name: 'destroy', setup: GOLD, command: 'destroy f2b-gold\n' },
];

/** One captured netlink message: type, flags and all its bytes (header included) as hex. */
export interface CapturedMessage { readonly type: number; readonly flags: number; readonly hex: string }

/** Splits strace's `-e write=all` hex dumps into the buffers of each sendto/sendmsg. */
function buffers(trace: string): Buffer[] {
  const out: Buffer[] = [];
  let cur: number[] | undefined;
  for (const line of trace.split('\n')) {
    if (/ (sendto|sendmsg)\(/.test(line)) {
      if (cur) out.push(Buffer.from(cur));
      cur = [];
      continue;
    }
    const m = /^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2}){1,16})/.exec(line);
    if (m && cur) for (const h of m[1]!.trim().split(/\s+/)) cur.push(parseInt(h, 16));
  }
  if (cur) out.push(Buffer.from(cur));
  return out;
}

/** Splits a buffer into netlink messages. */
export function messages(buf: Buffer): CapturedMessage[] {
  const out: CapturedMessage[] = [];
  for (let at = 0; at + 16 <= buf.length;) {
    const len = buf.readUInt32LE(at);
    if (len < 16 || at + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(at + 4), flags: buf.readUInt16LE(at + 6), hex: buf.subarray(at, at + len).toString('hex') });
    at += (len + 3) & ~3;
  }
  return out;
}

/** argv for running `file` with the tool in namespace `ns` (ipset: each line is one invocation's arguments, run by a shell). */
function toolArgs(tool: 'nft' | 'ipset', file: string): string[] {
  return tool === 'nft' ? ['nft', '-f', file] : ['sh', '-c', `while read -r line; do ipset -exist $line || exit 1; done < ${file}`];
}

function capture(tool: 'nft' | 'ipset', c: Case, dir: string): CapturedMessage[] {
  const ns = `conn-capture-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const setup = join(dir, 'setup.nft');
    const cmd = join(dir, 'command.nft');
    const trace = join(dir, 'trace.txt');
    writeFileSync(setup, c.setup);
    writeFileSync(cmd, c.command);
    if (c.setup) execFileSync('ip', ['netns', 'exec', ns, ...toolArgs(tool, setup)]);
    const r = spawnSync('ip', ['netns', 'exec', ns, 'strace', '-f', '-e', 'trace=sendto,sendmsg', '-e', 'write=all', '-o', trace, ...toolArgs(tool, cmd)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${c.name}: ${tool} failed: ${r.stderr}`);
    return buffers(readFileSync(trace, 'utf8')).flatMap(messages);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'capture-netlink-'));
  const tool = process.argv[2] === 'ipset' ? 'ipset' : 'nft';
  const version = execFileSync(tool, tool === 'nft' ? ['--version'] : ['version'], { encoding: 'utf8' }).trim().split('\n')[0];
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const only = process.argv.slice(3);
  try {
    for (const c of tool === 'nft' ? NFT_CASES : IPSET_CASES) {
      if (only.length > 0 && !only.includes(c.name)) continue;
      const msgs = capture(tool, c, dir);
      const file = fileURLToPath(new URL(`../../../test/fixtures/netlink/${tool}/${c.name}.json`, import.meta.url));
      const command = tool === 'nft' ? `nft -f FILE, FILE = ${JSON.stringify(c.command)}` : `ipset -exist ${c.command.trim()}`;
      writeFileSync(file, `${JSON.stringify({ command, setup: c.setup, tool: `${version}, kernel ${kernel}, strace -e write=all, in a throwaway network namespace`, messages: msgs }, null, 1)}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
