/**
 * The iptables + ipset firewall driver (`banaction = iptables-ipset`).
 *
 * Bans are elements of per-jail ipsets (hash:ip / hash:net, IPv4 / IPv6,
 * kernel timeouts, the jail's maxelem) changed in-process over
 * netlink — never a process per ban. Chains `f2b-<jail>` and their jumps
 * from INPUT/FORWARD are written by one `*-restore --noflush` per family on
 * reconcile (start, reload, `f2b-fw reconcile`), which also removes stale
 * `f2b-*` chains in both iptables variants (src/fw/stale.ts).
 */
import { IPSET_CAPABILITIES } from '../capabilities.js';
import type { Clock } from '../../core/clock.js';
import { EnvironmentError, KernelError } from '../../core/errors.js';
import type { Ban } from '../../core/records.js';
import type { BanKey, BanOutcome, FirewallDriver, ReconcileOptions, SetFull } from '../driver.js';
import type { FirewallLayout } from '../layout.js';
import type { Plan, PlanChange } from '../plan.js';
import { applyScripts, hasForeignF2bChains, planChains, readAllFilters } from '../stale.js';
import { kernelFilterPresence } from '../filter-presence.js';
import type { IpsetElement, IpsetInfo, IpsetOp } from '../../../native/ipset/messages.js';
import { IPSET_ERR } from '../../../native/ipset/protocol.js';
import { IpsetKernelError, IpsetSession, type IpsetOpFailure } from '../../../native/ipset/session.js';
import { banOps, diffSet, elementBan, placement } from './elements.js';
import { FAIL2BAN_SOCKET, fail2banRunning } from '../fail2ban-probe.js';
import { FAMILIES, PREFIX, detectVariant, ruleWords, spawnCommand, type FilterTable, type IptablesVariant, type RunCommand } from '../iptables.js';
import { jailNames, jailSets, type JailSet } from './naming.js';
import { desiredRules, validateLayout } from './rules.js';

/** Side effects and settings of the driver. */
export interface IpsetDriverOptions {
  readonly clock: Clock;
  /** iptables variant to write (default: what `iptables` points to). */
  readonly variant?: IptablesVariant;
  /** Spawns iptables-save/-restore (default: child_process.spawn). */
  readonly run?: RunCommand;
  /** Netlink ipset session (default: a new one in this process's namespace). */
  readonly session?: IpsetSession;
  /** fail2ban's control socket, to leave a running fail2ban's chains alone. */
  readonly fail2banSocket?: string;
  /** Receives warnings (chains left alone, sets still referenced). */
  readonly onWarning?: (message: string) => void;
}

/** The kernel's answer for a set that does not exist. */
const ENOENT = 2;

interface SetAction {
  readonly set: JailSet;
  readonly how: 'create' | 'swap' | 'recreate';
  readonly maxelem: number;
}

/** A set's jail and maxelem (from the last reconcile). */
interface SetOwner {
  readonly jail: string;
  readonly maxelem: number;
}

/** Keeps the `limit` longest-lasting elements (timeout 0 = permanent first); returns how many went. */
function capElements(els: IpsetElement[], limit: number): number {
  if (els.length <= limit) return 0;
  const rank = (e: IpsetElement): number => (e.timeout === undefined || e.timeout === 0 ? Number.POSITIVE_INFINITY : e.timeout);
  els.sort((a, b) => rank(b) - rank(a));
  const dropped = els.length - limit;
  els.length = limit;
  return dropped;
}

/** FirewallDriver over iptables (legacy or nft) and ipset. */
export class IpsetDriver implements FirewallDriver {
  readonly name = 'iptables-ipset';
  readonly capabilities = IPSET_CAPABILITIES;
  /** The iptables variant this driver writes. */
  readonly variant: IptablesVariant;
  private readonly session: IpsetSession;
  private readonly options: IpsetDriverOptions;
  private readonly run: RunCommand;
  private jails: string[] = [];
  private owners = new Map<string, SetOwner>();

  private constructor(session: IpsetSession, variant: IptablesVariant, options: IpsetDriverOptions) {
    this.session = session;
    this.variant = variant;
    this.options = options;
    this.run = options.run ?? spawnCommand;
  }

  /** Opens the driver: resolves the variant and opens the netlink session. */
  static async open(options: IpsetDriverOptions): Promise<IpsetDriver> {
    const variant = options.variant ?? (await detectVariant(options.run ?? spawnCommand));
    return new IpsetDriver(options.session ?? IpsetSession.open(), variant, options);
  }

  async reconcile(layout: FirewallLayout, bans: readonly Ban[], options: ReconcileOptions = {}): Promise<Plan> {
    const names = validateLayout(layout);
    const force = options.force ?? false;
    const desired = FAMILIES.map((f) => ({ variant: this.variant, rules: desiredRules(layout, f) }));
    const headers = new Map((await this.session.headers()).map((h) => [h.name, h]));
    const readWarnings: string[] = [];
    // The variant we do not write is only read where the kernel says it may hold f2b-* chains (no `*-save` started
    // for it otherwise); with an injected `run` (another namespace) every table is read.
    const tables = await readAllFilters(this.run, [this.variant], readWarnings, this.options.run === undefined ? kernelFilterPresence : undefined);
    const f2bRunning = hasForeignF2bChains(tables) ? await fail2banRunning(this.options.fail2banSocket ?? FAIL2BAN_SOCKET) : false;
    const chains = planChains({ tables, desired, fail2banRunning: f2bRunning, force });
    if (chains.conflicts.length > 0) {
      throw new EnvironmentError(`${chains.conflicts.join('\n')}\nstop fail2ban first, or run with --force to take the chains over`);
    }
    for (const w of [...readWarnings, ...chains.warnings]) this.options.onWarning?.(w);

    const wantSets = names.flatMap((n) => jailSets(n));
    const owners = new Map<string, SetOwner>();
    for (const j of layout.jails) for (const s of jailSets(jailNames(j.name))) owners.set(s.name, { jail: j.name, maxelem: j.maxelem });
    const setActions: SetAction[] = [];
    const changes: PlanChange[] = [];
    for (const s of wantSets) {
      const h = headers.get(s.name);
      const maxelem = owners.get(s.name)!.maxelem;
      const how = setAction(s, h, maxelem);
      if (how === undefined) continue;
      if (how === 'recreate' && h!.references > 0) {
        throw new KernelError(`ipset ${s.name} exists as ${h!.type} family ${h!.family} and is in use; f2b-fw needs ${s.type} family ${s.family} under that name`, `ipset create ${s.name}`);
      }
      setActions.push({ set: s, how, maxelem });
      changes.push({ action: how === 'create' ? 'create' : 'replace', kind: 'ipset', object: s.name, reason: how === 'create' ? 'missing' : `parameters differ (${describe(h!)})` });
    }
    changes.push(...chains.changes);

    const wanted = new Set(wantSets.map((s) => s.name));
    const staleSets = [...headers.values()].filter((h) => {
      if (!h.name.startsWith(PREFIX) || wanted.has(h.name) || (f2bRunning && !force)) return false;
      // Every f2b-* chain not wanted goes, so references from them go too; others keep the set alive.
      if (h.references <= setReferencesInF2bChains(tables, h.name)) return true;
      this.options.onWarning?.(`ipset ${h.name} is not in the config but is used by rules outside f2b-* chains: left alone`);
      return false;
    });
    for (const h of staleSets) changes.push({ action: 'delete', kind: 'ipset', object: h.name, reason: 'stale f2b set: not in config' });

    const known = new Set(layout.jails.map((j) => j.name));
    const ours = bans.filter((b) => known.has(b.jail));
    const wantElements = new Map<string, IpsetElement[]>(wantSets.map((s) => [s.name, []]));
    const plannedAt = this.options.clock.now();
    for (const op of banOps(ours, plannedAt)) wantElements.get(op.set)!.push(op.element);
    const full = new Map<string, SetFull>();
    for (const [set, els] of wantElements) {
      const o = owners.get(set)!;
      const dropped = capElements(els, o.maxelem);
      if (dropped > 0) full.set(o.jail, { jail: o.jail, maxelem: o.maxelem, skipped: (full.get(o.jail)?.skipped ?? 0) + dropped });
    }
    const elementOps: IpsetOp[] = [];
    for (const s of wantSets) {
      const fresh = setActions.some((a) => a.set.name === s.name);
      const present = fresh ? [] : (await this.session.list(s.name))?.members ?? [];
      const d = diffSet(s.name, wantElements.get(s.name)!, present);
      elementOps.push(...d.ops);
      changes.push(...d.changes);
    }
    const plan: Plan = full.size > 0 ? { changes, full: [...full.values()] } : { changes };
    if (options.dryRun) return plan;

    // A set swapped in is filled before the swap: the jail is never without its bans.
    const elapsed = (): number => Math.round((this.options.clock.now() - plannedAt) / 1000);
    const swapped = new Set(setActions.filter((a) => a.how === 'swap').map((a) => a.set.name));
    const created = await this.applySets(setActions, (set, tmp) => retime(elementOps.filter((o) => o.set === set).map((o) => ({ ...o, set: tmp })), elapsed()));
    try {
      await applyScripts(this.run, chains.scripts);
    } catch (e) {
      for (const name of created) await this.session.destroy(name).catch(() => undefined);
      throw e;
    }
    for (const h of staleSets) {
      await this.session.destroy(h.name).catch((e: Error) => this.options.onWarning?.(`ipset ${h.name} not destroyed: ${e.message}`));
    }
    throwFailures(await this.session.apply(retime(elementOps.filter((o) => !swapped.has(o.set)), elapsed())));
    this.jails = layout.jails.map((j) => j.name);
    this.owners = owners;
    return plan;
  }

  /**
   * Creates missing sets and replaces mismatching ones; returns the names
   * created from nothing. A set of the right type with other parameters is
   * replaced atomically: a temporary set is created, filled with `fill(set,
   * tmp)` and swapped in (`ipset swap`), so the rules never see it empty.
   */
  private async applySets(actions: readonly SetAction[], fill: (set: string, tmp: string) => IpsetOp[]): Promise<string[]> {
    const created: string[] = [];
    for (const { set, how, maxelem } of actions) {
      const spec = { ...set, timeout: 0, maxelem };
      if (how === 'create') {
        await this.session.create(spec);
        created.push(set.name);
      } else if (how === 'recreate') {
        await this.session.destroy(set.name);
        await this.session.create(spec);
      } else {
        const tmp = `${PREFIX}fw-swap-${process.pid % 100000}`;
        await this.session.destroy(tmp).catch(() => undefined);
        await this.session.create({ ...spec, name: tmp });
        const failed = await this.session.apply(fill(set.name, tmp));
        if (failed.some((f) => f.errno !== IPSET_ERR.HASH_FULL)) {
          await this.session.destroy(tmp).catch(() => undefined);
          throwFailures(failed);
        }
        await this.session.swap(tmp, set.name);
        await this.session.destroy(tmp);
      }
    }
    return created;
  }

  /**
   * One netlink request per element: each is applied or refused on its own
   * (not atomic across elements). A set at its maxelem refuses new elements
   * (IPSET_ERR_HASH_FULL): they are skipped and reported, the others stand.
   */
  async ban(bans: readonly Ban[]): Promise<BanOutcome> {
    const failures = await this.session.apply(banOps(bans, this.options.clock.now()));
    const full = new Map<string, SetFull>();
    const other: IpsetOpFailure[] = [];
    for (const f of failures) {
      const owner = f.errno === IPSET_ERR.HASH_FULL ? this.owners.get(f.op.set) : undefined;
      if (!owner) {
        other.push(f);
        continue;
      }
      full.set(owner.jail, { jail: owner.jail, maxelem: owner.maxelem, skipped: (full.get(owner.jail)?.skipped ?? 0) + 1 });
    }
    throwFailures(other);
    return { full: [...full.values()] };
  }

  async unban(keys: readonly BanKey[]): Promise<void> {
    const ops: IpsetOp[] = keys.map((k) => {
      const p = placement(k.jail, k.addr);
      return { op: 'del', set: p.set.name, element: p.element };
    });
    // A set that does not exist holds no ban: nothing to remove.
    throwFailures((await this.session.apply(ops)).filter((f) => f.errno !== ENOENT));
  }

  async unbanAll(jail: string): Promise<void> {
    for (const s of jailSets(jailNames(jail))) {
      await this.session.flush(s.name).catch((e: unknown) => {
        if (!(e instanceof IpsetKernelError && e.errno === ENOENT)) throw e;
      });
    }
  }

  /**
   * Bans of one jail, or of every jail: those of the last reconcile, else the
   * jails whose names can be read back from the `f2b-*` sets present (names
   * in the plain `f2b-<jail>` form; call `list(jail)` for hashed ones).
   */
  async list(jail?: string): Promise<Ban[]> {
    const jails = jail !== undefined ? [jail] : this.jails.length > 0 ? this.jails : jailsFromSets(await this.session.headers());
    const now = this.options.clock.now();
    const out: Ban[] = [];
    for (const j of jails) {
      for (const s of jailSets(jailNames(j))) {
        const info = await this.session.list(s.name);
        for (const m of info?.members ?? []) out.push(elementBan(j, m, now));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.session.close();
  }
}

/** How many rules in `f2b-*` chains of all tables match on set `name`. */
function setReferencesInF2bChains(tables: readonly FilterTable[], name: string): number {
  let n = 0;
  for (const t of tables) {
    for (const [chain, rules] of t.chains) {
      if (!chain.startsWith(PREFIX)) continue;
      for (const r of rules) {
        const w = ruleWords(r);
        for (let i = 0; i < w.length - 1; i++) if (w[i] === '--match-set' && w[i + 1] === name) n++;
      }
    }
  }
  return n;
}

/** Jails whose plain-form set names (`f2b-<jail>`, IPv4 hash:ip) are present. */
function jailsFromSets(headers: readonly IpsetInfo[]): string[] {
  const jails: string[] = [];
  for (const h of headers) {
    if (!h.name.startsWith(PREFIX) || h.type !== 'hash:ip' || h.family !== 'inet') continue;
    const jail = h.name.slice(PREFIX.length);
    if (jailNames(jail).ip4.name === h.name) jails.push(jail);
  }
  return jails;
}

/** What a wanted set needs given what exists: nothing, create, swap in a new one, or destroy and create. */
function setAction(s: JailSet, h: IpsetInfo | undefined, maxelem: number): SetAction['how'] | undefined {
  if (!h) return 'create';
  if (h.type !== s.type || h.family !== s.family) return 'recreate';
  if (h.timeout === undefined || h.maxelem !== maxelem) return 'swap';
  return undefined;
}

function describe(h: IpsetInfo): string {
  return `${h.type} family ${h.family}${h.timeout === undefined ? ' without timeout' : ''} maxelem ${h.maxelem ?? '?'}`;
}

/**
 * Timeouts were computed when planning, and listing 100,000 elements takes
 * seconds: take the time spent since off the adds' timeouts (dropping bans
 * that expired meanwhile) so the kernel's expiry matches the store's.
 */
function retime(ops: readonly IpsetOp[], elapsed: number): IpsetOp[] {
  if (elapsed <= 0) return [...ops];
  const out: IpsetOp[] = [];
  for (const op of ops) {
    const t = op.element.timeout;
    if (op.op === 'del' || t === undefined || t === 0) out.push(op);
    else if (t > elapsed) out.push({ ...op, element: { ...op.element, timeout: t - elapsed } });
  }
  return out;
}

function throwFailures(failures: readonly IpsetOpFailure[]): void {
  if (failures.length === 0) return;
  const lines = failures.slice(0, 5).map((f) => `${f.op.op} ${f.op.set} ${f.op.element.addr}${f.op.element.cidr !== undefined ? `/${f.op.element.cidr}` : ''}: ${f.message}`);
  if (failures.length > 5) lines.push(`… and ${failures.length - 5} more`);
  throw new KernelError(`ipset refused ${failures.length} element change(s):\n  ${lines.join('\n  ')}`, lines.join('; '));
}
