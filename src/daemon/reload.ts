/**
 * Reload as plan, then apply. planReload reads and compiles everything and
 * returns the change as a value (nothing running is touched, so a bad file
 * changes nothing). applyReload switches the kernel to the new layout first,
 * while the previous jails keep reading and banning; only once the kernel
 * took it are the previous jails stopped and the new ones started (kept jails
 * carrying over their failure counts). A kernel refusal leaves the previous
 * jails running, and the error says so.
 */
import { F2bError } from '../core/errors.js';
import type { JailDeps } from '../jail/jail.js';
import { loadJailConfig, type LoadedConfig } from '../config/load.js';
import { firewallLayout } from '../fw/spec.js';
import type { Plan } from '../fw/plan.js';
import { ApiError, type ReloadResult } from './api.js';
import { buildJails, type RuntimeJail } from './jails.js';
import { ignoreWarnings } from '../jail/ignore.js';
import { dnsResolver, linePipeline } from './pipeline.js';
import { statusLine, type Core, type JailSet } from './runtime.js';
import { banJails, fleetJailOf, withFleetJail } from './fleet.js';

/** A reload worked out, not applied yet. */
export interface ReloadPlan {
  readonly loaded: LoadedConfig;
  /** Newly compiled jails (added ones and re-read kept ones). */
  readonly fresh: readonly RuntimeJail[];
  /** The generation that will run once applied. */
  readonly next: JailSet;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly kept: readonly string[];
}

/** The jail-building inputs every generation shares. */
function jailInputs(core: Core): JailDeps {
  const { clock, ownAddresses } = core.deps;
  return { clock, history: core.store, ownAddresses };
}

/** Reads and compiles the configuration; `only` re-reads those jails and leaves the others as they run. */
export function planReload(core: Core, current: JailSet, only?: ReadonlySet<string>): ReloadPlan {
  const loaded = loadJailConfig(core.cfg.configDir);
  const fresh = buildJails(loaded, jailInputs(core), dnsResolver(core.dns, core.deps.log), only);
  for (const name of only ?? []) {
    if (!fresh.some((j) => j.name === name)) {
      throw new ApiError('unknown-jail', `jail ${JSON.stringify(name)} is no longer enabled in ${core.cfg.configDir}; reload without a jail name to remove it`);
    }
  }
  const jails = new Map(only === undefined ? [] : [...current.jails].filter(([n]) => !only.has(n)));
  for (const j of fresh) jails.set(j.name, j);
  // The kernel layout of exactly the jails that will run (a one-jail reload leaves the others as they are).
  const running = { ...loaded, jails: [...jails.values()].map((j) => j.raw) };
  const fleet = core.cfg.settings.fleet;
  const layout = firewallLayout(withFleetJail(running, fleet));
  core.deps.checkBackend?.(loaded, layout);
  const before = current.jails;
  return {
    loaded, fresh, next: { jails, layout, fleetJail: fleetJailOf(running, fleet, core.deps.ownAddresses) },
    added: [...jails.keys()].filter((n) => !before.has(n)),
    removed: [...before.keys()].filter((n) => !jails.has(n)),
    kept: [...jails.keys()].filter((n) => before.has(n)),
  };
}

/** Ends the store's bans of jails not in `set` (their kernel sets are gone); returns how many. */
export function endBansOfOtherJails(core: Core, set: JailSet): number {
  const { store } = core;
  const now = core.deps.clock.now();
  const known = new Set(banJails(set));
  const gone = store.jailsWithBans().filter((j) => !known.has(j));
  const keys = gone.flatMap((jail) => store.current(now, jail).map((b) => ({ jail, addr: b.addr })));
  return store.removeBans(keys, now).length;
}

/** Starts a generation's jails that are not running yet (each line into the pipeline). */
export async function startJails(core: Core, jails: readonly RuntimeJail[]): Promise<void> {
  const { log, clock } = core.deps;
  for (const j of jails) {
    for (const w of ignoreWarnings(j.name, j.settings.ignoreip)) log.warn({ event: 'config', jail: j.name }, w);
    void j.jail.namesResolved.then((failed) => {
      for (const name of failed) {
        log.warn({ event: 'dns', jail: j.name, host: name }, `[${j.name}] ignoreip host name ${name} did not resolve: addresses it stands for can be banned`);
      }
    });
    await j.start(core.store, linePipeline(j, core.manager, log, clock, core.deps.tracer),
      (err, source) => log.warn({ jail: j.name, source, err: err.message }, `[${j.name}] cannot read ${source}: ${err.message}`), core.manager.room, core.deps.tracer);
  }
}

/** Applies `plan` to the running `current` generation; resolves to the generation now running. */
export async function applyReload(core: Core, current: JailSet, plan: ReloadPlan): Promise<{ set: JailSet; result: ReloadResult }> {
  const { log, notifier, clock } = core.deps;
  notifier.send('RELOADING=1');
  let kernelPlan: Plan;
  try {
    kernelPlan = await core.keeper.switchTo(plan.next.layout);
  } catch (e) {
    notifier.send(`READY=1\nSTATUS=${statusLine(core, current)}`);
    // A backend that is not atomic may have done part of it: bring the kernel back to the running jails.
    core.keeper.repair('kernel-error');
    const names = [...current.jails.keys()].join(', ') || 'none';
    throw new F2bError('kernel', `reload not applied, the kernel refused the new layout; the previous ${current.jails.size} jail(s) keep running (${names}): ${(e as Error).message}`, { cause: e });
  }
  const freshNames = new Set(plan.fresh.map((j) => j.name));
  for (const old of current.jails.values()) {
    if (!plan.next.jails.has(old.name) || freshNames.has(old.name)) await old.stop();
  }
  for (const j of plan.fresh) {
    const old = current.jails.get(j.name);
    if (old) j.takeOver(old);
  }
  let ended = 0;
  try {
    ended = endBansOfOtherJails(core, plan.next);
  } catch (e) {
    log.error({ event: 'store-error', err: (e as Error).message }, `bans of removed jails not ended in the database: ${(e as Error).message}`);
  }
  await startJails(core, plan.fresh);
  notifier.send(`READY=1\nSTATUS=${statusLine(core, plan.next)}`);
  log.info({ event: 'reload', added: plan.added, removed: plan.removed, kept: plan.kept, changes: kernelPlan.changes.length, ended, at: clock.now() },
    `reloaded: ${plan.added.length} jail(s) added, ${plan.removed.length} removed, ${plan.kept.length} kept`);
  return { set: plan.next, result: { added: plan.added, removed: plan.removed, kept: plan.kept, plan: kernelPlan } };
}
