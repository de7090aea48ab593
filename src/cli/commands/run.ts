/**
 * `f2b-fw run`: the daemon in the foreground (systemd Type=notify). Start-up:
 * config → store → kernel reconcile → sources → READY=1, then the control
 * socket. SIGHUP reloads, SIGTERM/SIGINT stop cleanly. With F2B_FW_TRACE=FILE
 * set, the ban path's stage marks (src/core/trace.ts) are written to FILE at stop.
 */
import { openHostAddresses, type HostAddresses } from '../../daemon/host-addresses.js';
import { peerUid } from '../../control/peer.js';
import { EXIT, type Command } from '../command.js';
import { systemClock } from '../../core/clock.js';
import { DEFAULTS } from '../../core/defaults.js';
import { createLogger, reopenLogFile } from '../../core/log.js';
import { ControlServer } from '../../control/server.js';
import { apiHandler } from '../../control/dispatch.js';
import type { Daemon } from '../../daemon/daemon.js';
import { bootDaemon } from '../../daemon/boot.js';
import { createNotifier } from '../../../native/sd-notify.js';
import { backendName, checkSameBackend, chooseBackend, openDriver, type BackendName } from '../../fw/backend.js';
import { INSTANCE_OPTIONS, INSTANCE_OPTIONS_HELP, resolveInstance } from '../instance.js';
import { removePidFile, writePidFile } from '../../daemon/pidfile.js';
import { packageVersion } from './version.js';
import { TRACE_ENV, TraceRecorder } from '../../core/trace.js';

export const runCommand: Command = {
  name: 'run',
  help: [
    'Usage: f2b-fw run [--config-dir DIR] [--db FILE] [--socket PATH] [--pidfile PATH] [--backend nftables|ipset|null] [--loglevel LEVEL] [--logtarget T] [--pretty]',
    '',
    'Runs the f2b-fw daemon in the foreground: reads the config, restores the bans',
    'from the database into the kernel, follows the logs and bans. Logs JSON to',
    'stdout (readable text on a terminal or with --pretty). SIGHUP reloads the',
    'configuration, SIGTERM stops (bans stay in the kernel unless on_stop = flush).',
    '',
    'Options:',
    INSTANCE_OPTIONS_HELP,
    '  --backend NAME     overrides banaction in jail.conf [DEFAULT]: nftables, ipset',
    '                     (= iptables-ipset: ipset + iptables) or null (dry run)',
    '  --loglevel LEVEL   overrides loglevel in f2b-fw.conf',
    '  --logtarget T      overrides logtarget: STDOUT, STDERR or a file (logged in addition to stdout)',
    '  --pretty           readable log lines instead of JSON',
  ].join('\n'),
  options: { ...INSTANCE_OPTIONS, backend: { type: 'string' }, loglevel: { type: 'string' }, logtarget: { type: 'string' }, pretty: { type: 'boolean' } },
  async run(args) {
    const instance = resolveInstance(args);
    const { settings } = instance;
    const flag = args.values.backend as string | undefined;
    if (flag !== undefined) backendName(flag);
    const log = createLogger({
      level: (args.values.loglevel as string | undefined) ?? settings.loglevel,
      target: (args.values.logtarget as string | undefined) ?? settings.logtarget,
      ...(args.values.pretty ? { pretty: true } : {}),
    });
    writePidFile(settings.pidfile);
    const traceFile = process.env[TRACE_ENV];
    const tracer = traceFile ? new TraceRecorder() : undefined;
    let stopping: Promise<void> | null = null;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => { resolveDone = r; });
    let daemon: Daemon | null = null;
    let running: BackendName | null = null;
    let server: ControlServer | null = null;
    let hostAddrs: HostAddresses | null = null;
    const stop = (why: string): Promise<void> => {
      stopping ??= (async () => {
        log.info({ event: 'stopping', why }, `stopping (${why})`);
        await server?.close();
        await daemon?.shutdown();
        if (traceFile) tracer!.write(traceFile);
        hostAddrs?.close();
        removePidFile(settings.pidfile);
        resolveDone();
      })();
      return stopping;
    };
    // Signals are handled from the start: one arriving while a large restore runs is acted on once it is done.
    let signalled: string | null = null;
    const onStopSignal = (sig: string) => () => {
      signalled ??= sig;
      if (server && daemon) void stop(sig);
    };
    process.on('SIGTERM', onStopSignal('SIGTERM'));
    process.on('SIGINT', onStopSignal('SIGINT'));
    process.on('SIGHUP', () => {
      if (!server || !daemon) {
        log.warn({ event: 'reload' }, 'SIGHUP during start-up ignored: the configuration is being read right now');
        return;
      }
      log.debug({ event: 'sighup' }, 'SIGHUP: reload requested');
      daemon.reload().catch((e: Error) => log.error({ event: 'reload', err: e.message }, `reload failed, previous configuration kept: ${e.message}`));
    });
    const own = await openHostAddresses(log);
    hostAddrs = own;
    try {
      daemon = await bootDaemon(
        { configDir: instance.configDir, dbFile: settings.dbfile, settings, table: DEFAULTS.table },
        {
          clock: systemClock, log, notifier: createNotifier(process.env), ownAddresses: own,
          ...(tracer === undefined ? {} : { tracer }),
          openDriver: (loaded, layout) => {
            const choice = chooseBackend(flag, loaded, layout);
            log.info({ event: 'backend', backend: choice.backend, why: choice.why }, `firewall backend ${choice.backend}: ${choice.why}`);
            running = choice.backend;
            return openDriver(choice.backend, systemClock, (m) => log.warn({ event: 'backend' }, m), log);
          },
          // One backend per daemon: a reload may not ask for another one (restart for that).
          checkBackend: (loaded, layout) => { if (running !== null) checkSameBackend(flag, running, loaded, layout); },
          requestStop: () => { void stop('stop command'); },
          // The control socket listens before READY=1, so `systemctl start` returning means clients are answered.
          beforeReady: async (d) => {
            server = await ControlServer.listen({
              path: settings.socket,
              handler: apiHandler(d, packageVersion(), { flushLogs: () => reopenLogFile(log) }),
              ...(settings.socketGroup === undefined ? {} : { group: settings.socketGroup }),
              peerUid,
              onError: (err, req) => log.error({ cmd: req.cmd, err: (err as Error)?.stack ?? String(err) }, `control request ${req.cmd} failed`),
            });
          },
        },
      );
    } catch (e) {
      // beforeReady may have opened the socket before the start failed.
      await (server as ControlServer | null)?.close().catch(() => undefined);
      await daemon?.shutdown().catch(() => undefined);
      own.close();
      removePidFile(settings.pidfile);
      throw e;
    }
    if (signalled) void stop(`${signalled} during start-up`);
    await done;
    return EXIT.ok;
  },
};
