/**
 * The pipeline, wired in one place: a source's Line → the jail's filter
 * (FilterHit) → Failure → the jail's counting (Decision) → the ban manager,
 * which batches decisions into one store and one kernel transaction (Ban[]).
 * Each stage returns a record; nothing in the hot path calls back into the
 * daemon. Host names (usedns = yes|warn) are a stage input: a resolver over
 * the daemon's DNS cache, built per jail before the filter is compiled.
 * `tracer` (optional) gets the hit and decision marks of src/core/trace.ts.
 */
import { logRefusedPrefix } from './prefix-api.js';
import type { Clock } from '../core/clock.js';
import type { Decision, Failure, Line } from '../core/records.js';
import type { Logger } from '../core/log.js';
import type { AbandonedLine, FilterHit } from '../filter/filter.js';
import { LIMITS } from '../core/defaults.js';
import type { JailSettings } from '../jail/settings.js';
import type { Applied } from '../bans/manager.js';
import type { DnsCache } from './dns-cache.js';
import type { HostResolver, RuntimeJail } from './jails.js';
import { backgroundTimers, systemTimers } from '../core/clock.js';
import { IgnoreCommand } from '../actions/ignore-command.js';
import { FoundLog } from './found-log.js';
import { STAGE, type Tracer } from '../core/trace.js';

/** Where decisions go: the ban manager's batching queue. */
export interface DecisionSink {
  submit(decision: Decision): Promise<Applied>;
}

/** The Failure a filter hit stands for in `jail`; null for `<F-NOFAIL>` hits. */
export function failureOf(jail: string, hit: FilterHit): Failure | null {
  if (hit.nofail) return null;
  return { jail, addr: hit.addr, time: hit.time, matches: hit.matches, fields: hit.fields };
}

/**
 * The function a jail's source calls for each line. Never throws: a bad line
 * must not stop the daemon; a decision the manager cannot record is logged.
 */
export function linePipeline(j: RuntimeJail, sink: DecisionSink, log: Logger, clock: Clock, tracer?: Tracer): (line: Line) => void {
  const found = new FoundLog(j.name, log, clock, backgroundTimers);
  const submit = (decision: Decision): void => {
    sink.submit(decision).catch((e: Error) => log.error({ jail: decision.jail, addr: decision.addr, err: e.message },
      `[${decision.jail}] ban of ${decision.addr} not recorded: ${e.message}`));
  };
  // fail2ban's ignorecommand asks before each ban (answers cached per address for findtime).
  const ic = j.raw.settings.get('ignorecommand');
  const ignore = ic && ic.value.trim() !== '' ? new IgnoreCommand(ic, j.name, j.settings.findtime, { clock, timers: systemTimers, log }) : null;
  const decide = ignore === null ? submit : (decision: Decision): void => {
    void ignore.ignored(decision.addr).then((yes) => {
      if (!yes) submit(decision);
      else log.info({ jail: decision.jail, addr: decision.addr, event: 'ignored' }, `[${decision.jail}] Ignore ${decision.addr} by command`);
    });
  };
  const onHits = (hits: readonly FilterHit[]): void => {
    for (const hit of hits) {
      const failure = failureOf(j.name, hit);
      if (!failure) continue;
      tracer?.mark(STAGE.hit);
      j.counters.failures++;
      found.note(failure.addr, failure.time);
      const decision = j.jail.onFailure(failure);
      if (decision) {
        tracer?.mark(STAGE.decision);
        logRefusedPrefix(log, decision);
        decide(decision);
      }
    }
  };
  for (const w of j.warnings) log.warn({ event: 'regex-backtracking', jail: j.name }, `[${j.name}] ${w}`);
  j.filter.deliver?.({ hits: onHits, abandoned: (e) => abandonedOnce(j.name, e, log) });
  return (line) => {
    j.counters.lines++;
    onHits(j.filter.feed(line));
  };
}

/** Logs the first abandoned line of a jail's filter; later ones are only counted (an attacker repeats the line). */
function abandonedOnce(jail: string, e: AbandonedLine, log: Logger): void {
  if (e.count !== 1) return;
  const why = e.kind === 'timeout' ? `its match ran past ${LIMITS.matchWatchdogMs} ms (catastrophic backtracking)`
    : e.kind === 'queue-full' ? `the filter's worker is ${LIMITS.guardedQueueLines} lines behind` : `the filter's worker failed: ${e.detail}`;
  log.warn({ event: 'line-abandoned', jail, kind: e.kind },
    `[${jail}] a line of ${e.source} was abandoned: ${why}; the worker was restarted and further abandoned lines are only counted`);
}

/**
 * usedns = yes|warn: a host name's cached addresses; a name not cached yet is
 * looked up in the background and this failure dropped. Other usedns values
 * get no resolver (names count nothing).
 */
export function dnsResolver(dns: DnsCache, log: Logger): (settings: JailSettings) => HostResolver | undefined {
  return (settings) => {
    if (settings.usedns !== 'yes' && settings.usedns !== 'warn') return undefined;
    const jail = settings.name;
    return (name) => {
      const a = dns.get(name);
      if (a.state === 'resolved') {
        if (settings.usedns === 'warn') {
          log.warn({ event: 'dns', jail, host: name, addrs: a.addrs }, `[${jail}] host name ${name} taken as ${a.addrs.join(', ')} (usedns = warn)`);
        }
        return a.addrs;
      }
      if (a.state === 'started') {
        log.info({ event: 'dns', jail, host: name }, `[${jail}] looking up host name ${name}: this failure is not counted, later ones are once it resolves`);
      } else if (a.state !== 'failed') {
        log.debug({ event: 'dns', jail, host: name }, `[${jail}] host name ${name} not resolved yet (${a.state === 'busy' ? 'too many lookups running' : 'lookup running'}): failure dropped`);
      }
      return [];
    };
  };
}
