/**
 * The pipeline, wired in one place: a source's Line → the jail's filter
 * (FilterHit) → Failure → the jail's counting (Decision) → the ban manager,
 * which batches decisions into one store and one kernel transaction (Ban[]).
 * Each stage returns a record; nothing in the hot path calls back into the
 * daemon. Host names (usedns = yes|warn) are a stage input: a resolver over
 * the daemon's DNS cache, built per jail before the filter is compiled.
 */
import type { Decision, Failure, Line } from '../core/records.js';
import { logBanEvent, type Logger } from '../core/log.js';
import type { FilterHit } from '../filter/filter.js';
import type { JailSettings } from '../jail/settings.js';
import type { Applied } from '../bans/manager.js';
import type { DnsCache } from './dns-cache.js';
import type { HostResolver, RuntimeJail } from './jails.js';

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
export function linePipeline(j: RuntimeJail, sink: DecisionSink, log: Logger): (line: Line) => void {
  return (line) => {
    j.counters.lines++;
    for (const hit of j.filter.feed(line)) {
      const failure = failureOf(j.name, hit);
      if (!failure) continue;
      j.counters.failures++;
      logBanEvent(log, 'Found', j.name, failure.addr, {}, failure.time);
      const decision = j.jail.onFailure(failure);
      if (decision) {
        sink.submit(decision).catch((e: Error) => log.error({ jail: decision.jail, addr: decision.addr, err: e.message },
          `[${decision.jail}] ban of ${decision.addr} not recorded: ${e.message}`));
      }
    }
  };
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
