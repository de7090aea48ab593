/**
 * Maps control requests onto the daemon's API: checks each command's
 * arguments (types only; the daemon checks meaning and throws ApiError) and
 * calls the matching DaemonApi method.
 */
import { F2bError } from '../core/errors.js';
import type { DaemonApi, JailKey } from '../daemon/api.js';
import { PROTOCOL_ERRORS, PROTOCOL_VERSION, type ControlRequest } from './protocol.js';
import type { ControlHandler } from './server.js';

/** What `ping` answers. */
export interface PingResult {
  readonly pong: true;
  readonly pid: number;
  readonly protocol: number;
  /** The daemon's f2b-fw version. */
  readonly version: string;
}

function badArg(cmd: string, name: string, expected: string, got: unknown): F2bError {
  return new F2bError('usage', `"${cmd}": argument "${name}" must be ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`);
}

function str(req: ControlRequest, name: string): string {
  const v = req.args[name];
  if (typeof v !== 'string' || v === '') throw badArg(req.cmd, name, 'a non-empty string', v);
  return v;
}

function optStr(req: ControlRequest, name: string): string | undefined {
  return req.args[name] === undefined ? undefined : str(req, name);
}

function strList(req: ControlRequest, name: string): string[] {
  const v = req.args[name];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw badArg(req.cmd, name, 'a non-empty list of strings', v);
  }
  return v as string[];
}

function optBool(req: ControlRequest, name: string): boolean | undefined {
  const v = req.args[name];
  if (v !== undefined && typeof v !== 'boolean') throw badArg(req.cmd, name, 'true or false', v);
  return v;
}

/** What `flushlogs` answers: the log file reopened, or null when the daemon logs to stdout only. */
export interface FlushLogsResult {
  readonly reopened: string | null;
}

/** Process-level actions the control socket offers besides the DaemonApi (they concern the process, not the jails). */
export interface ProcessHooks {
  /** Reopens the daemon's log file (logrotate's postrotate); returns its path, or null without one. */
  flushLogs(): string | null;
}

type Route = (api: DaemonApi, req: ControlRequest) => Promise<unknown>;

/** Every command the daemon answers, with its arguments. */
const ROUTES: Readonly<Record<string, Route>> = {
  status: (api, req) => {
    const jail = optStr(req, 'jail');
    return jail === undefined ? api.status() : api.status(jail);
  },
  ban: (api, req) => api.ban(str(req, 'jail'), strList(req, 'addrs'), { force: optBool(req, 'force') === true, partial: optBool(req, 'partial') === true }),
  unban: (api, req) => api.unban(optStr(req, 'jail'), req.args.addrs === 'all' ? 'all' : strList(req, 'addrs')),
  banned: (api, req) => api.banned(optStr(req, 'addr')),
  history: (api, req) => api.history(str(req, 'addr')),
  reload: (api, req) => api.reload(optStr(req, 'jail')),
  reconcile: (api, req) => api.reconcile({ dryRun: optBool(req, 'dryRun'), force: optBool(req, 'force') }),
  // The daemon checks the key against its list and throws ApiError('bad-key').
  get: (api, req) => api.get(str(req, 'jail'), str(req, 'key') as JailKey),
  set: (api, req) => {
    const value = req.args.value;
    if (typeof value !== 'string') throw badArg(req.cmd, 'value', 'a string', value);
    return api.set(str(req, 'jail'), str(req, 'key') as JailKey, value);
  },
  stop: (api) => api.stop(),
};

/** The command names a daemon answers (ping included). */
export const CONTROL_COMMANDS: readonly string[] = ['ping', 'flushlogs', ...Object.keys(ROUTES)];

const NO_HOOKS: ProcessHooks = { flushLogs: () => null };

/** Builds the server's handler for one daemon. `version` is what `ping` reports. */
export function apiHandler(api: DaemonApi, version: string, hooks: ProcessHooks = NO_HOOKS): ControlHandler {
  return async (req: ControlRequest) => {
    if (req.cmd === 'ping') {
      const pong: PingResult = { pong: true, pid: process.pid, protocol: PROTOCOL_VERSION, version };
      return pong;
    }
    if (req.cmd === 'flushlogs') {
      const result: FlushLogsResult = { reopened: hooks.flushLogs() };
      return result;
    }
    const route = Object.hasOwn(ROUTES, req.cmd) ? ROUTES[req.cmd] : undefined;
    if (!route) {
      throw new F2bError(PROTOCOL_ERRORS.unknownCommand, `unknown command ${JSON.stringify(req.cmd)}; the daemon answers: ${CONTROL_COMMANDS.join(', ')}`);
    }
    return route(api, req);
  };
}
