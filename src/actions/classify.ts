/**
 * What each action of a jail becomes in f2b-fw:
 * - `firewall`: fail2ban's kernel actions (iptables-*, nftables-*, ipset-*, firewallcmd-*, shorewall*,
 *   ufw, route, our own backend names) — never executed; their `port`, `protocol`, `chain`,
 *   `blocktype` and `type = allports` shape the jail's rules in our backend (src/actions/firewall-map.ts).
 *   A `.local` that changes only options (a chain, a jump in actionstart) keeps them firewall actions;
 * - `reporter`: done in-process (`abuseipdb`, our `webhook`, the stock mail actions `sendmail*`,
 *   `mail`, `mail-whois*`: src/actions/mail.ts);
 * - `command`: any other action with commands, and a stock firewall or reporter action whose
 *   `actionban`/`actionunban` a `.local` replaces — run through /bin/sh safely (src/actions/command.ts);
 * - `unsupported`, with the reason (logged at start, shown by check-config).
 */
import { ConfigError } from '../core/errors.js';
import type { RawSection } from '../config/types.js';
import { BANACTIONS } from '../fw/banaction.js';
import { loadActionDefinition, type ActionDefinition } from './definition.js';
import { mailVariant } from './mail-text.js';
import { actionRefs, type ActionRef } from './refs.js';

/** The four classes. */
export type ActionKind = 'firewall' | 'reporter' | 'command' | 'unsupported';
/** The in-process reporters. */
export type ReporterKind = 'abuseipdb' | 'webhook' | 'mail';

/** One action of one jail, classified. */
export interface ClassifiedAction {
  readonly jail: string;
  readonly name: string;
  readonly kind: ActionKind;
  readonly reporter?: ReporterKind;
  /** Why it got this class (check-config shows it). */
  readonly reason: string;
  readonly ref: ActionRef;
  /** The files' definition (absent for our built-in names). */
  readonly def?: ActionDefinition;
}

const FIREWALL = /^(iptables|ip6tables|nftables|ipset|firewallcmd|shorewall|ufw|route)(-|$)/;
const BSD = /^(pf|npf|ipfw|bsd-ipfw|ipfilter|osx-afctl|osx-ipfw)$/;
const MAIL = /^(sendmail|mail)(-|$)/;
/** Options whose replacement by a .local turns a stock action into the admin's own command. */
const COMMAND_KEYS = ['actionban', 'actionunban'];

function replacedByLocal(def: ActionDefinition | undefined): string | undefined {
  return COMMAND_KEYS.find((k) => def?.localKeys.has(k));
}

/** Classifies one reference (reading its files from `configDir`). */
export function classifyAction(configDir: string, ref: ActionRef, jail: RawSection): ClassifiedAction {
  const base = { jail: jail.name, name: ref.name, ref };
  const file = ref.file.replace(/^.*\//, '').replace(/\.(conf|local)$/, '');
  if (/\.py$/.test(file)) return { ...base, kind: 'unsupported', reason: 'Python actions are not run by f2b-fw' };
  const def = loadActionDefinition(configDir, ref, jail);
  const withDef = def ? { ...base, def } : base;
  const local = replacedByLocal(def);
  if (FIREWALL.test(file) || BANACTIONS[file] !== undefined) {
    if (local && def) return { ...withDef, kind: 'command', reason: `${local} replaced in ${fileOf(def, local)}: run as the admin's command` };
    return { ...withDef, kind: 'firewall', reason: 'banned by f2b-fw\'s kernel backend (the action\'s commands are not run)' };
  }
  if (BSD.test(file)) return { ...withDef, kind: 'unsupported', reason: 'a BSD/macOS firewall; f2b-fw bans in Linux netfilter itself' };
  if (file === 'webhook' && !def) return { ...base, kind: 'reporter', reporter: 'webhook', reason: 'JSON POST signed with HMAC-SHA256, in-process' };
  if (file === 'abuseipdb') {
    if (local && def) return { ...withDef, kind: 'command', reason: `${local} replaced in ${fileOf(def, local)}: run as the admin's command` };
    return { ...withDef, kind: 'reporter', reporter: 'abuseipdb', reason: 'AbuseIPDB v2 /report, in-process' };
  }
  if (mailVariant(file)) {
    if (local && def) return { ...withDef, kind: 'command', reason: `${local} replaced in ${fileOf(def, local)}: run as the admin's command` };
    return { ...withDef, kind: 'reporter', reporter: 'mail', reason: 'mail with nodemailer (SMTP or sendmail), whois over TCP 43, in-process' };
  }
  if (!def) return { ...base, kind: 'unsupported', reason: `no action.d/${file}.conf (nor .local) in ${configDir}` };
  if (file === 'sendmail-common' && !local) {
    return { ...withDef, kind: 'unsupported', reason: 'sendmail-common mails only when a jail starts or stops, which f2b-fw does not send; ban mails: sendmail, sendmail-whois*' };
  }
  if (MAIL.test(file) && !local) {
    return { ...withDef, kind: 'unsupported', reason: 'this mail action passes whois answers and log lines to mail/sendmail through a shell; not run (use sendmail-whois-lines or webhook)' };
  }
  const hasCommands = ['actionstart', 'actionban', 'actionunban', 'actionstop', 'actionflush']
    .some((k) => (def.options.get(k)?.value.trim() ?? '') !== '');
  if (!hasCommands) return { ...withDef, kind: 'unsupported', reason: 'the action defines no command' };
  return { ...withDef, kind: 'command', reason: 'run by /bin/sh with the ban\'s values in the environment' };
}

function fileOf(def: ActionDefinition, key: string): string {
  for (const section of def.store.sections.values()) {
    const pos = section.get(key)?.pos;
    if (pos) return `${pos.file}:${pos.line ?? '?'}`;
  }
  return def.files.at(-1) ?? '';
}

/** Every action of an (enabled) jail, classified; errors name file, line, section, key and value. */
export function jailActions(configDir: string, jail: RawSection): ClassifiedAction[] {
  try {
    return actionRefs(jail).map((ref) => classifyAction(configDir, ref, jail));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(jail.settings.get('action')?.pos ?? { file: configDir, section: jail.name, key: 'action' }, (e as Error).message);
  }
}
