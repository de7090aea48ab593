/**
 * Builds the runtime side of each classified action: command actions run through /bin/sh, the
 * in-process reporters; firewall actions are the kernel backend's job and unsupported ones are
 * only reported (check-config, a warning at start), so neither gets an executor.
 */
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import type { Clock, Timers } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { ClassifiedAction } from './classify.js';
import { CommandAction } from './command.js';
import type { ActionExecutor } from './executor.js';
import { MailReporter, type MailDeps } from './mail.js';
import { AbuseIpdbReporter } from './reporters/abuseipdb.js';
import type { Fetch } from './reporters/http.js';
import { WebhookReporter } from './reporters/webhook.js';
import type { Spawn } from './run-command.js';

const require = createRequire(import.meta.url);

/** Side effects executors use. */
export interface ExecutorDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly fetch?: Fetch;
  readonly spawn?: Spawn;
  /** The mail reporter's transport factory, whois connection and host name (src/actions/mail.ts). */
  readonly mail?: Omit<MailDeps, 'timers'>;
}

/**
 * The daemon's mail side effects: nodemailer (loaded at the first mail, so daemons without mail
 * actions never load it), net.connect for whois, the host's name.
 */
export function defaultMailDeps(): Omit<MailDeps, 'timers'> {
  return {
    createTransport: (o) => (require('nodemailer') as typeof import('nodemailer')).createTransport(o),
    connect: (host, port) => connect({ host, port }),
    hostname,
  };
}

/** The executor of `a`, or undefined for firewall and unsupported actions. Config errors throw. */
export function createExecutor(a: ClassifiedAction, deps: ExecutorDeps): ActionExecutor | undefined {
  const net = { fetch: deps.fetch ?? fetch, clock: deps.clock };
  if (a.kind === 'reporter' && a.reporter === 'mail') return new MailReporter(a, { ...(deps.mail ?? defaultMailDeps()), timers: deps.timers });
  if (a.kind === 'reporter') return a.reporter === 'abuseipdb' ? new AbuseIpdbReporter(a, net) : new WebhookReporter(a, net);
  if (a.kind === 'command' && a.def) return new CommandAction({ ...a, def: a.def }, deps);
  return undefined;
}
