/**
 * What runs one action of one jail off the ban path: a command action (src/actions/command.ts) or
 * an in-process reporter (src/actions/reporters/). The hub (src/actions/hub.ts) queues each ban and
 * unban in the outbox and hands them to the executor one address at a time.
 */
import type { Delivery } from '../outbox/worker.js';
import type { BanValues, Family } from './tags.js';

/** A ban or an unban, as queued. */
export type ActionOp = 'ban' | 'unban';

/** One action's runtime side. */
export interface ActionExecutor {
  readonly jail: string;
  readonly name: string;
  /** fail2ban's `norestored`: bans restored at start are not handed to this action again. */
  readonly norestored: boolean;
  /** Deliveries at once (different addresses; one address is always one at a time); default OUTBOX_DEFAULTS.concurrency. */
  readonly concurrency?: number;
  /** False: the action does nothing on unban (the stock mail actions), so unbans are not queued for it. */
  readonly unbans?: boolean;
  /** Before the first ban (fail2ban's actionstart); failures are logged, never thrown. */
  start(): Promise<void>;
  /** At daemon stop (fail2ban's actionstop); never throws. */
  stop(): Promise<void>;
  /** Performs `op` for one address; the outcome tells the outbox worker what to do next. */
  run(op: ActionOp, values: BanValues): Promise<Delivery>;
  /**
   * fail2ban's actionflush: every ban of the jail lifted at once (unban of all, a removed jail or
   * action, on_stop = flush), for the address families given. Absent: the action has no
   * actionflush, and each ban is unbanned on its own instead.
   */
  readonly flush?: (families: readonly Family[]) => Promise<Delivery>;
}
