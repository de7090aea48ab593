/**
 * What the client sub-commands (status, ban, unban, …) share: their common
 * options, where the socket is, one request to the daemon, JSON output.
 */
import { COMMON_OPTIONS, type CliIO, type CommandArgs, type OptionTable } from '../cli/command.js';
import { DEFAULTS } from '../core/defaults.js';
import { F2bError } from '../core/errors.js';
import { callDaemon, ControlClient } from './client.js';
import type { RequestArgs } from './protocol.js';

/** Options every client sub-command takes. */
export const CLIENT_OPTIONS = {
  socket: COMMON_OPTIONS.socket,
  'config-dir': COMMON_OPTIONS['config-dir'],
  json: COMMON_OPTIONS.json,
  timeout: { type: 'string' },
} as const satisfies OptionTable;

/** The help lines for CLIENT_OPTIONS, appended to each command's help. */
export const CLIENT_OPTIONS_HELP = [
  'Options:',
  `  --socket PATH      control socket (default: \`socket\` in f2b-fw.conf, else ${DEFAULTS.socket})`,
  `  --config-dir DIR   where f2b-fw.conf is (default ${DEFAULTS.configDir})`,
  '  --json             print the daemon\'s answer as JSON',
  `  --timeout SECONDS  how long to wait for the daemon's answer (default ${DEFAULTS.controlTimeoutMs / 1000})`,
  '  -h, --help         this help',
  '',
  'Exit codes: 0 ok, 1 refused/failed/timed out, 2 usage, 6 no daemon on the socket, 7 permission denied.',
].join('\n');

/**
 * The control socket a command talks to: --socket, else `socket` in the config
 * dir's f2b-fw.conf. The configuration loader (about half of a client's modules)
 * is imported only in the second case.
 */
async function socketPath(args: CommandArgs): Promise<string> {
  const flag = args.values.socket;
  if (typeof flag === 'string' && flag !== '') return flag;
  const { resolveInstance } = await import('../cli/instance.js');
  return resolveInstance(args).settings.socket;
}

/** The answer timeout from --timeout (seconds), in ms. */
function timeoutMs(args: CommandArgs): number {
  const text = args.values.timeout;
  if (text === undefined) return DEFAULTS.controlTimeoutMs;
  const seconds = Number(text);
  if (typeof text !== 'string' || !(seconds > 0)) throw new F2bError('usage', `--timeout must be a positive number of seconds, got ${JSON.stringify(text)}`);
  return seconds * 1000;
}

/** Sends one request to the daemon the command line points at. */
export async function ask(args: CommandArgs, cmd: string, request: RequestArgs = {}): Promise<unknown> {
  const timeout = timeoutMs(args);
  return callDaemon(await socketPath(args), cmd, request, { timeoutMs: timeout });
}

/** An open connection to the daemon the command line points at, for several requests. */
export async function connectDaemon(args: CommandArgs): Promise<ControlClient> {
  const timeout = timeoutMs(args);
  return ControlClient.connect(await socketPath(args), { timeoutMs: timeout });
}

/** A usage error: the CLI prints it and exits with EXIT.usage. */
export function usageError(command: string, message: string): F2bError {
  return new F2bError('usage', `${message} (see \`f2b-fw ${command} --help\`)`);
}

/** Whether the command line asked for JSON. */
export function wantsJson(args: CommandArgs): boolean {
  return args.values.json === true;
}

/** Prints a value as one JSON document. */
export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
