/**
 * Builds the runtime side of each classified action: command actions run through /bin/sh, the
 * in-process reporters; firewall actions are the kernel backend's job and unsupported ones are
 * only reported (check-config, a warning at start), so neither gets an executor.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { ClassifiedAction } from './classify.js';
import { CommandAction } from './command.js';
import type { ActionExecutor } from './executor.js';
import { AbuseIpdbReporter } from './reporters/abuseipdb.js';
import type { Fetch } from './reporters/http.js';
import { WebhookReporter } from './reporters/webhook.js';
import type { Spawn } from './run-command.js';

/** Side effects executors use. */
export interface ExecutorDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly fetch?: Fetch;
  readonly spawn?: Spawn;
}

/** The executor of `a`, or undefined for firewall and unsupported actions. Config errors throw. */
export function createExecutor(a: ClassifiedAction, deps: ExecutorDeps): ActionExecutor | undefined {
  const net = { fetch: deps.fetch ?? fetch, clock: deps.clock };
  if (a.kind === 'reporter') return a.reporter === 'abuseipdb' ? new AbuseIpdbReporter(a, net) : new WebhookReporter(a, net);
  if (a.kind === 'command' && a.def) return new CommandAction({ ...a, def: a.def }, deps);
  return undefined;
}
