/**
 * iptables access, backend-neutral: the ipset backend writes its chains with it
 * and the stale-chain cleanup (src/fw/stale.ts, run with either backend) reads
 * and repairs fail2ban's and our leftovers with it. The two variants (legacy,
 * nft) and families, reading the filter table with `*-save` and applying one
 * script with `*-restore --noflush` per call; the names and rule shapes both
 * users share. Spawning is a side effect passed in (`RunCommand`).
 */
import { spawn } from 'node:child_process';
import { EnvironmentError, KernelError } from '../core/errors.js';
import type { IpsetFamily } from '../../native/ipset/messages.js';

/** Prefix of every chain and set f2b-fw (and fail2ban) creates. */
export const PREFIX = 'f2b-';
/** Comment on every rule f2b-fw writes: tells our rules from fail2ban's and the admin's. */
export const RULE_COMMENT = 'f2b-fw';

/** Built-in chains our jumps live in. */
export type BuiltinChain = 'INPUT' | 'FORWARD';

/** A rule in save form, without the leading `-A <chain> `. */
export type RuleText = string;

/** One of our chains with its rules. */
export interface ChainSpec {
  readonly name: string;
  readonly jail: string;
  readonly rules: readonly RuleText[];
}

/** One jump rule in a built-in chain. */
export interface JumpSpec {
  readonly from: BuiltinChain;
  readonly rule: RuleText;
}

/** Desired filter-table content for one family. */
export interface FamilyRules {
  readonly family: IpsetFamily;
  readonly chains: readonly ChainSpec[];
  readonly jumps: readonly JumpSpec[];
}

/** Which iptables implementation: x_tables (legacy) or nf_tables (iptables-nft). */
export type IptablesVariant = 'legacy' | 'nft';
/** Both variants, in the order they are scanned. */
export const VARIANTS: readonly IptablesVariant[] = ['nft', 'legacy'];
/** Both families. */
export const FAMILIES: readonly IpsetFamily[] = ['inet', 'inet6'];

/** Result of running a program. `code` is null when it could not be started (ENOENT…). */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with optional stdin; never throws for a non-zero exit. */
export type RunCommand = (cmd: string, args: readonly string[], input?: string) => Promise<RunResult>;

/** The real RunCommand: child_process.spawn, in the caller's network namespace. */
export const spawnCommand: RunCommand = (cmd, args, input) =>
  new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: null, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });

/** Program name for a variant, family and tool. */
export function binary(variant: IptablesVariant, family: IpsetFamily, tool: 'save' | 'restore'): string {
  return `${family === 'inet' ? 'iptables' : 'ip6tables'}-${variant}-${tool}`;
}

/** Short label used in plans, e.g. `ip6tables-nft`. */
export function tableLabel(variant: IptablesVariant, family: IpsetFamily): string {
  return `${family === 'inet' ? 'iptables' : 'ip6tables'}-${variant}`;
}

/** The filter table as `*-save` printed it: chains in order, rules per chain in order. */
export interface FilterTable {
  readonly variant: IptablesVariant;
  readonly family: IpsetFamily;
  /** Chain name → rules (text after `-A <chain> `); built-in chains included. */
  readonly chains: ReadonlyMap<string, readonly RuleText[]>;
}

/** Parses the `*filter` section of `iptables-save` output (other tables are ignored). */
export function parseFilterSave(text: string, variant: IptablesVariant, family: IpsetFamily): FilterTable {
  const chains = new Map<string, RuleText[]>();
  let inFilter = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) inFilter = line.trim() === '*filter';
    else if (!inFilter) continue;
    else if (line.startsWith(':')) chains.set(line.slice(1).split(' ')[0]!, []);
    else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      const chain = sp < 0 ? rest : rest.slice(0, sp);
      const rule = sp < 0 ? '' : rest.slice(sp + 1);
      if (!chains.has(chain)) chains.set(chain, []);
      chains.get(chain)!.push(rule);
    } else if (line.trim() === 'COMMIT') inFilter = false;
  }
  return { variant, family, chains };
}

/** Splits a saved rule into words, honouring iptables-save's double quotes. */
export function ruleWords(rule: RuleText): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of rule.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}

/** The chain a rule jumps or goes to (`-j X` / `-g X`), if any. */
export function ruleTarget(rule: RuleText): string | undefined {
  const w = ruleWords(rule);
  for (let i = 0; i < w.length - 1; i++) if (w[i] === '-j' || w[i] === '-g') return w[i + 1];
  return undefined;
}

/** True when a rule carries f2b-fw's comment. */
export function isOurRule(rule: RuleText, comment: string): boolean {
  const w = ruleWords(rule);
  for (let i = 0; i < w.length - 1; i++) if (w[i] === '--comment' && w[i + 1] === comment) return true;
  return false;
}

/**
 * Reads the filter table of one variant and family. Returns undefined when
 * that variant is not installed. Uses `*-save` without `-t` so a variant
 * whose tables do not exist is not instantiated by looking at it.
 */
export async function readFilter(run: RunCommand, variant: IptablesVariant, family: IpsetFamily): Promise<FilterTable | undefined> {
  const cmd = binary(variant, family, 'save');
  const r = await run(cmd, []);
  if (r.code === null) return undefined;
  if (r.code !== 0) throw new KernelError(`${cmd} failed: ${r.stderr.trim()}`, cmd);
  return parseFilterSave(r.stdout, variant, family);
}

/**
 * Applies a restore script (lines between `*filter` and `COMMIT`) with one
 * `*-restore --noflush` call; `test` only checks it (`--test`). The kernel
 * applies the table atomically: all lines or none.
 */
export async function restoreFilter(run: RunCommand, variant: IptablesVariant, family: IpsetFamily, lines: readonly string[], test = false): Promise<void> {
  const cmd = binary(variant, family, 'restore');
  const script = ['*filter', ...lines, 'COMMIT', ''].join('\n');
  const args = ['--noflush', ...(test ? ['--test'] : [])];
  const r = await run(cmd, args, script);
  if (r.code === null) throw new EnvironmentError(`${cmd} is not installed (apt-get install iptables): ${r.stderr}`);
  if (r.code !== 0) throw new KernelError(`${cmd} ${args.join(' ')} refused the rules: ${r.stderr.trim()}`, script);
}

/** The variant `iptables` points to (Debian alternatives): `iptables -V` says `(nf_tables)` or `(legacy)`. */
export async function detectVariant(run: RunCommand): Promise<IptablesVariant> {
  const r = await run('iptables', ['-V']);
  if (r.code === null) throw new EnvironmentError('iptables is not installed (apt-get install iptables)');
  return /nf_tables/.test(r.stdout + r.stderr) ? 'nft' : 'legacy';
}
