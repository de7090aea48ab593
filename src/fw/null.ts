/**
 * The null firewall driver: keeps bans in memory and never touches the
 * kernel. Used for dry runs (`--backend null`: the daemon then keeps its
 * store in memory too, and says "would block" where it would ban) and for
 * in-process tests; expiry follows the injected clock like kernel timeouts
 * would. With a logger, every block and release is logged.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { NULL_CAPABILITIES } from './capabilities.js';
import type { Ban } from '../core/records.js';
import type { BanKey, FirewallDriver, ReconcileOptions } from './driver.js';
import type { FirewallLayout } from './layout.js';
import type { Plan, PlanChange } from './plan.js';

/** In-memory FirewallDriver. */
export class NullDriver implements FirewallDriver {
  readonly name = 'null';
  readonly capabilities = NULL_CAPABILITIES;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  /** Jail → address → expiry (ms epoch, null = permanent). */
  private readonly jails = new Map<string, Map<string, number | null>>();

  /** `clock` decides which bans have expired; `log` (optional) hears every block and release. */
  constructor(clock: Clock, log?: Logger) {
    this.clock = clock;
    this.log = log;
  }

  private report(what: 'block' | 'release', jail: string, addr: string, expiresAt: number | null = null): void {
    const until = what === 'release' ? '' : expiresAt === null ? ' permanently' : ` until ${new Date(expiresAt).toISOString()}`;
    this.log?.info({ event: `dry-run-${what}`, jail, addr }, `[${jail}] dry run: would ${what} ${addr}${until} (null backend, the kernel is untouched)`);
  }

  private live(expiresAt: number | null): boolean {
    return expiresAt === null || expiresAt > this.clock.now();
  }

  /** Makes the jails of `layout` exist holding exactly `bans`; returns what changed. */
  async reconcile(layout: FirewallLayout, bans: readonly Ban[], options: ReconcileOptions = {}): Promise<Plan> {
    const changes: PlanChange[] = [];
    const wanted = new Map<string, Map<string, number | null>>(layout.jails.map((j) => [j.name, new Map()]));
    for (const b of bans) if (this.live(b.expiresAt)) wanted.get(b.jail)?.set(b.addr, b.expiresAt);
    for (const name of this.jails.keys()) {
      if (!wanted.has(name)) changes.push({ action: 'delete', kind: 'jail', object: name, reason: 'not in config' });
    }
    for (const [name, want] of wanted) {
      const have = this.jails.get(name);
      if (!have) changes.push({ action: 'create', kind: 'jail', object: name, reason: 'missing' });
      for (const [addr, exp] of want) {
        if (!have?.has(addr) || !this.live(have.get(addr) ?? null)) changes.push({ action: 'add', kind: 'element', object: `${name} ${addr}`, reason: 'banned' });
        else if (have.get(addr) !== exp) changes.push({ action: 'refresh', kind: 'element', object: `${name} ${addr}`, reason: 'timeout differs' });
      }
      for (const [addr, exp] of have ?? []) {
        if (!want.has(addr) && this.live(exp)) changes.push({ action: 'remove', kind: 'element', object: `${name} ${addr}`, reason: 'not banned' });
      }
    }
    if (!options.dryRun) {
      for (const c of changes) {
        const [jail, addr] = c.object.split(' ');
        if (c.kind === 'element' && c.action === 'add') this.report('block', jail!, addr!, wanted.get(jail!)?.get(addr!) ?? null);
        if (c.kind === 'element' && c.action === 'remove') this.report('release', jail!, addr!);
      }
      this.jails.clear();
      for (const [name, want] of wanted) this.jails.set(name, want);
    }
    return { changes };
  }

  /** Adds or refreshes bans of known jails (unknown jails are created, like a lenient kernel). */
  async ban(bans: readonly Ban[]): Promise<void> {
    for (const b of bans) {
      if (!this.live(b.expiresAt)) continue;
      let set = this.jails.get(b.jail);
      if (!set) this.jails.set(b.jail, (set = new Map()));
      set.set(b.addr, b.expiresAt);
      this.report('block', b.jail, b.addr, b.expiresAt);
    }
  }

  /** Removes bans; absent ones are ignored. */
  async unban(keys: readonly BanKey[]): Promise<void> {
    for (const k of keys) if (this.jails.get(k.jail)?.delete(k.addr)) this.report('release', k.jail, k.addr);
  }

  /** Empties one jail. */
  async unbanAll(jail: string): Promise<void> {
    for (const addr of this.jails.get(jail)?.keys() ?? []) this.report('release', jail, addr);
    this.jails.get(jail)?.clear();
  }

  /** Unexpired bans, of one jail or all. */
  async list(jail?: string): Promise<Ban[]> {
    const out: Ban[] = [];
    for (const [name, set] of this.jails) {
      if (jail !== undefined && name !== jail) continue;
      for (const [addr, expiresAt] of set) if (this.live(expiresAt)) out.push({ jail: name, addr, expiresAt });
    }
    return out;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
