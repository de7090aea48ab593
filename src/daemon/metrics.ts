/**
 * Optional Prometheus metrics (off unless f2b-fw.conf sets `metrics`): served
 * on a loopback address (`127.0.0.1:9191`, `[::1]:9191`, `localhost:9191`) or
 * a unix socket path, never on a public address. Text exposition format 0.0.4
 * at GET /metrics.
 */
import type { Server } from 'node:http';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { parsePortNumber } from '../config/ports.js';
import type { FleetStatus } from '../fleet/member.js';

/** Upper bounds (s) of the kernel transaction latency histogram. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Kernel transaction latencies, as a Prometheus histogram. */
export class LatencyHistogram {
  private readonly counts = BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;

  /** Records one transaction of `seconds`. */
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    BUCKETS.forEach((b, i) => { if (seconds <= b) this.counts[i]!++; });
  }

  /** Exposition lines for metric `name`. */
  lines(name: string): string[] {
    return [
      ...BUCKETS.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

/** Per-jail figures at one moment. */
export interface JailFigures {
  readonly jail: string;
  readonly banned: number;
  readonly bansTotal: number;
  readonly failuresTotal: number;
  readonly linesTotal: number;
  /** Of the bans in force, those of a prefix (counting prefix, escalation, manual CIDR). */
  readonly bannedPrefixes: number;
  /** Keys the failure table forgot because it was full (failure_table_size). */
  readonly failuresEvicted: number;
  /** Lines that took the filter longer than LIMITS.matchBudgetMs. */
  readonly slowLinesTotal: number;
  /** Bans kept out of the kernel because a set of the jail was at its maxelem. */
  readonly setFullSkipsTotal: number;
}

/** Everything /metrics shows. */
export interface MetricsSnapshot {
  readonly jails: readonly JailFigures[];
  readonly repairsTotal: number;
  readonly kernel: LatencyHistogram;
  /** The ban database refuses writes. */
  readonly storeDegraded: boolean;
  /** Bans in force the database has not taken. */
  readonly storeUnwritten: number;
  /** Per action of each jail: attempts by result and entries queued. */
  readonly actions?: ReadonlyArray<{ readonly jail: string; readonly action: string; readonly sent: number; readonly failed: number; readonly dropped: number; readonly queued: number }>;
  /** The fleet's figures, when `[Fleet]` is configured. */
  readonly fleet?: FleetStatus;
}

/** The fleet's series (docs/fleet.md). */
function fleetLines(f: FleetStatus | undefined): string[] {
  if (!f) return [];
  const one = (name: string, help: string, type: string, value: number): string[] => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`];
  return [
    ...one('f2b_fw_fleet_connected', 'Connected to the fleet\'s Redis (1) or not (0).', 'gauge', f.connected ? 1 : 0),
    ...one('f2b_fw_fleet_sent_total', 'Shared changes written to Redis since start.', 'counter', f.sent),
    ...one('f2b_fw_fleet_received_total', 'Changes from other members applied since start.', 'counter', f.received),
    ...one('f2b_fw_fleet_refused_total', 'Entries from other members refused since start.', 'counter', f.refused),
    ...one('f2b_fw_fleet_queued', 'Shared changes waiting in the outbox.', 'gauge', f.queued),
    ...one('f2b_fw_fleet_lag_seconds', 'How far the reader is behind the newest stream entry.', 'gauge', f.lagMs / 1000),
  ];
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Renders the snapshot in Prometheus' text format. */
export function renderMetrics(s: MetricsSnapshot): string {
  const perJail = (name: string, help: string, type: string, pick: (j: JailFigures) => number): string[] => [
    `# HELP ${name} ${help}`, `# TYPE ${name} ${type}`,
    ...s.jails.map((j) => `${name}{jail="${label(j.jail)}"} ${pick(j)}`),
  ];
  return [
    ...perJail('f2b_fw_banned', 'Bans in force.', 'gauge', (j) => j.banned),
    ...perJail('f2b_fw_bans_total', 'Bans made since start.', 'counter', (j) => j.bansTotal),
    ...perJail('f2b_fw_failures_total', 'Failures found since start.', 'counter', (j) => j.failuresTotal),
    ...perJail('f2b_fw_banned_prefixes', 'Bans in force that cover a prefix.', 'gauge', (j) => j.bannedPrefixes),
    ...perJail('f2b_fw_failures_evicted_total', 'Addresses (or prefixes) forgotten because the failure table was full.', 'counter', (j) => j.failuresEvicted),
    ...perJail('f2b_fw_lines_read_total', 'Log lines read since start.', 'counter', (j) => j.linesTotal),
    ...perJail('f2b_fw_set_full_skips_total', 'Bans kept in the store but not in the kernel because a set of the jail was at its maxelem.', 'counter', (j) => j.setFullSkipsTotal),
    ...perJail('f2b_fw_slow_lines_total', 'Lines whose matching took longer than the match budget (50 ms).', 'counter', (j) => j.slowLinesTotal),
    '# HELP f2b_fw_repairs_total Firewall repairs after something else changed our table.', '# TYPE f2b_fw_repairs_total counter',
    `f2b_fw_repairs_total ${s.repairsTotal}`,
    '# HELP f2b_fw_kernel_transaction_seconds Duration of kernel transactions (bans, reconciles).', '# TYPE f2b_fw_kernel_transaction_seconds histogram',
    ...s.kernel.lines('f2b_fw_kernel_transaction_seconds'),
    '# HELP f2b_fw_store_degraded 1 while the ban database refuses writes (bans still reach the kernel).', '# TYPE f2b_fw_store_degraded gauge',
    `f2b_fw_store_degraded ${s.storeDegraded ? 1 : 0}`,
    '# HELP f2b_fw_store_unwritten_bans Bans in force only the kernel and memory hold.', '# TYPE f2b_fw_store_unwritten_bans gauge',
    `f2b_fw_store_unwritten_bans ${s.storeUnwritten}`,
    '# HELP f2b_fw_actions_total Action deliveries by result (sent, failed: will retry, dropped).', '# TYPE f2b_fw_actions_total counter',
    ...(s.actions ?? []).flatMap((a) => (['sent', 'failed', 'dropped'] as const).map((r) =>
      `f2b_fw_actions_total{jail="${label(a.jail)}",action="${label(a.action)}",result="${r}"} ${a[r]}`)),
    '# HELP f2b_fw_outbox_depth Action deliveries queued in the outbox.', '# TYPE f2b_fw_outbox_depth gauge',
    ...(s.actions ?? []).map((a) => `f2b_fw_outbox_depth{jail="${label(a.jail)}",action="${label(a.action)}"} ${a.queued}`),
    ...fleetLines(s.fleet),
    '',
  ].join('\n');
}

/** Where to listen: a unix socket path or a loopback host and port. */
export type MetricsAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** Parses the `metrics` setting; anything but loopback or a socket path is refused. */
export function parseMetricsAddress(text: string): MetricsAddress {
  const t = text.trim();
  if (t.startsWith('/')) return { path: t };
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(t);
  const host = m?.[1] ?? m?.[2];
  const pos = { file: 'f2b-fw.conf', section: 'Definition', key: 'metrics', value: text };
  if (!host) throw new ConfigError(pos, 'expected HOST:PORT on loopback (127.0.0.1:9191, [::1]:9191) or an absolute unix socket path');
  const port = parsePortNumber(m![3]!, pos);
  if (!['127.0.0.1', '::1', 'localhost'].includes(host) && !/^127\./.test(host)) {
    throw new ConfigError(pos, 'metrics are only served on a loopback address or a unix socket, never on a public address');
  }
  return { host, port };
}

/** Serves /metrics until closed. node:http (≈ 2.5 MB resident) is loaded only here, when metrics are configured. */
export async function serveMetrics(address: MetricsAddress, snapshot: () => MetricsSnapshot): Promise<Server> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(snapshot()));
  });
  if ('path' in address && existsSync(address.path)) unlinkSync(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in address) server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  if ('path' in address) chmodSync(address.path, 0o600);
  return server;
}
