/**
 * A command action run as fail2ban runs it, safely: `actionstart` before the first ban,
 * `actioncheck` before each ban/unban (failing: `actionrepair`, or stop + start, then check again),
 * `actionban`/`actionunban` per address, `actionflush` when all the jail's bans are lifted at once
 * (when it has one; else each ban gets its `actionunban`), `actionstop` at stop. Each command goes through src/actions/tags.ts (trusted tags in the text, the
 * ban's values as variables) and src/actions/run-command.ts (own process group, timeout, bounded
 * output). A failed ban/unban is retried by the outbox with backoff until its ban ends.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { parseBool } from '../jail/settings.js';
import type { Delivery } from '../outbox/worker.js';
import type { ClassifiedAction } from './classify.js';
import type { ActionDefinition } from './definition.js';
import { timeoutOption } from './options.js';
import type { ActionExecutor, ActionOp } from './executor.js';
import { COMMAND_DEFAULTS, describeFailure, runCommand, succeeded, type CommandResult, type Spawn } from './run-command.js';
import { dynamicCommand, staticCommand, type BanValues, type Family } from './tags.js';

/** Side effects of command actions. */
export interface CommandDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly spawn?: Spawn;
}

/** One command action of one jail. */
export class CommandAction implements ActionExecutor {
  readonly jail: string;
  readonly name: string;
  readonly norestored: boolean;
  private readonly timeout: number;
  private readonly started = new Set<Family>();

  private readonly def: ActionDefinition;
  readonly flush?: (families: readonly Family[]) => Promise<Delivery>;

  /** `action` must carry its definition (a command action always has files). */
  constructor(action: ClassifiedAction & { readonly def: ActionDefinition }, private readonly deps: CommandDeps) {
    const def = action.def;
    this.def = def;
    this.jail = def.jail;
    this.name = def.ref.name;
    const nr = def.options.get('norestored');
    this.norestored = nr !== undefined && nr.value.trim() !== '' && parseBool(nr);
    this.timeout = timeoutOption(action, COMMAND_DEFAULTS.timeoutSec);
    // Validate every command's tags now (a self-reference is a configuration error, not a runtime one).
    for (const op of ['actionstart', 'actionstop', 'actioncheck', 'actionrepair', 'actionflush', 'actionban', 'actionunban']) {
      staticCommand(def, op, 'inet4');
      staticCommand(def, op, 'inet6');
    }
    if (staticCommand(def, 'actionflush', 'inet4').trim() !== '' || staticCommand(def, 'actionflush', 'inet6').trim() !== '') {
      this.flush = (families) => this.flushFamilies(families);
    }
  }

  async start(): Promise<void> {
    await this.startFamily('inet4');
  }

  async stop(): Promise<void> {
    for (const family of this.started) await this.exec('actionstop', family, null);
    this.started.clear();
  }

  /**
   * fail2ban's flush: actionflush once per family (once when both families share the command);
   * a failure runs the invariant check (actioncheck, then actionrepair or stop + start) and the
   * flush is retried by the outbox, as fail2ban does its consistency check instead of the flush.
   */
  private async flushFamilies(families: readonly Family[]): Promise<Delivery> {
    const ran = new Set<string>();
    for (const family of families) {
      const text = staticCommand(this.def, 'actionflush', family);
      if (text.trim() === '' || ran.has(text)) continue;
      ran.add(text);
      await this.startFamily(family);
      const r = await this.exec('actionflush', family, null);
      if (r !== null && !succeeded(r)) {
        await this.checked(family);
        return { kind: 'retry', error: `actionflush: ${describeFailure(r)}` };
      }
    }
    return { kind: 'done' };
  }

  async run(op: ActionOp, values: BanValues): Promise<Delivery> {
    const family = values.family;
    await this.startFamily(family);
    if (!(await this.checked(family))) return { kind: 'retry', error: 'actioncheck failed and the repair did not help' };
    const r = await this.exec(op === 'ban' ? 'actionban' : 'actionunban', family, values);
    if (r === null || succeeded(r)) return { kind: 'done' };
    return { kind: 'retry', error: describeFailure(r) };
  }

  /** Starts the family once (on demand for the second family when its actionstart differs). */
  private async startFamily(family: Family): Promise<void> {
    if (this.started.has(family)) return;
    const other: Family = family === 'inet4' ? 'inet6' : 'inet4';
    if (this.started.has(other) && staticCommand(this.def, 'actionstart', family) === staticCommand(this.def, 'actionstart', other)) {
      this.started.add(family);
      return;
    }
    this.started.add(family);
    await this.exec('actionstart', family, null);
  }

  /** actioncheck; on failure actionrepair (or stop + start) and the check again. */
  private async checked(family: Family): Promise<boolean> {
    const first = await this.exec('actioncheck', family, null);
    if (first === null || succeeded(first)) return true;
    this.deps.log.error({ jail: this.jail, action: this.name }, `[${this.jail}] action ${this.name}: invariant check failed, trying to restore a sane environment`);
    const repair = await this.exec('actionrepair', family, null);
    if (repair === null) {
      await this.exec('actionstop', family, null);
      await this.exec('actionstart', family, null);
    }
    const again = await this.exec('actioncheck', family, null);
    return again === null || succeeded(again);
  }

  /** Runs one operation; null when the action has no such command. Failures are logged here. */
  private async exec(op: string, family: Family, values: BanValues | null): Promise<CommandResult | null> {
    const text = staticCommand(this.def, op, family);
    if (text.trim() === '') return null;
    // Operations without a ban (start, stop, check, flush) know their family, as in fail2ban.
    const cmd = dynamicCommand(values ? text : text.split('<family>').join(family), values);
    const r = await runCommand(cmd, {
      timeoutMs: this.timeout, timers: this.deps.timers, now: () => this.deps.clock.now(),
      ...(this.deps.spawn ? { spawn: this.deps.spawn } : {}),
    });
    if (!succeeded(r)) {
      const addr = values?.ip;
      this.deps.log.error({ jail: this.jail, action: this.name, op, ...(addr ? { addr } : {}), code: r.code, signal: r.signal, timedOut: r.timedOut, output: r.output.slice(0, 2000) },
        `[${this.jail}] action ${this.name} ${op}${addr ? ` ${addr}` : ''} failed: ${describeFailure(r)}`);
    }
    return r;
  }
}
