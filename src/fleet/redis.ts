/**
 * The connections to the fleet's Redis (the official `redis` client, v4):
 * one for commands (publishing, key scans) and one for the reader's blocking
 * XREAD. Both reconnect by themselves with a capped backoff; commands fail at
 * once while disconnected (no offline queue), so the outbox retries them
 * instead of a ban waiting on Redis. The link tracks whether it is up and
 * since when it is not, and logs each outage once with the URL (password
 * hidden) and Redis' own reason (`WRONGPASS …`, `ECONNREFUSED …`).
 */
import type { createClient, RedisClientOptions } from 'redis';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/clock.js';
import { FLEET_DEFAULTS } from '../core/defaults.js';
import type { FleetSettings } from './config.js';

/** One connected client (the redis package's type). */
export type FleetClient = ReturnType<typeof createClient>;
/** The redis package's client factory, imported only when `[Fleet]` is configured (the package alone is ~40 MB of RSS). */
export type CreateClient = typeof createClient;

/** The options createClient gets for `settings`. */
export function clientOptions(settings: FleetSettings, name: string): RedisClientOptions {
  const reconnectStrategy = (retries: number): number => Math.min(FLEET_DEFAULTS.reconnectMaxMs, FLEET_DEFAULTS.reconnectMinMs * 2 ** Math.min(retries, 10));
  const common = { disableOfflineQueue: true, name } as const;
  const t = settings.target;
  if (t.kind === 'unix') {
    return {
      ...common, database: t.db, socket: { path: t.path, reconnectStrategy, connectTimeout: 5000 },
      ...(t.username === undefined ? {} : { username: t.username }),
      ...(t.password === undefined ? {} : { password: t.password }),
    };
  }
  return {
    ...common, url: t.url,
    socket: t.tls
      ? { tls: true, reconnectStrategy, connectTimeout: 5000, ...settings.tls }
      : { reconnectStrategy, connectTimeout: 5000 },
  };
}

/** Side effects the link needs. */
export interface LinkDeps {
  readonly log: Logger;
  readonly clock: Clock;
  readonly createClient: CreateClient;
}

/** Two clients and their shared up/down state. */
export class RedisLink {
  readonly commands: FleetClient;
  readonly blocking: FleetClient;
  /** ms since the epoch of the last loss of connection (or of the start while never connected); null while up. */
  downSince: number | null;
  /** Redis' or the socket's last complaint while down. */
  lastError: string | null = null;
  private readonly waiters = new Set<() => void>();
  private logged = false;
  private closed = false;

  constructor(private readonly settings: FleetSettings, private readonly deps: LinkDeps) {
    this.downSince = deps.clock.now();
    this.commands = deps.createClient(clientOptions(settings, `f2b-fw-${settings.node}`));
    this.blocking = deps.createClient(clientOptions(settings, `f2b-fw-${settings.node}-reader`));
    for (const c of [this.commands, this.blocking]) {
      c.on('error', (e: Error) => this.onError(e));
      c.on('ready', () => this.onReady());
      c.on('end', () => this.onDown());
      c.on('reconnecting', () => this.onDown());
    }
  }

  /** True when both connections are ready. */
  get up(): boolean {
    return this.commands.isReady && this.blocking.isReady;
  }

  /** Starts connecting (in the background; the clients retry until closed). */
  start(): void {
    for (const c of [this.commands, this.blocking]) c.connect().catch((e: Error) => this.onError(e));
  }

  /** Resolves once both connections are ready (or the link is closed), or after `timeoutMs`; true when up. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.up || this.closed) return this.up;
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.waiters.add(done);
    });
    return this.up;
  }

  private onError(e: Error): void {
    if (this.closed) return;
    const msg = e.message || String(e);
    this.onDown();
    if (!this.logged || msg !== this.lastError) {
      this.deps.log.error({ event: 'fleet', url: this.settings.displayUrl, err: msg },
        `fleet: cannot use Redis at ${this.settings.displayUrl}: ${msg} (local bans go on; shared ones wait in the outbox)`);
      this.logged = true;
    }
    this.lastError = msg;
  }

  private onDown(): void {
    if (this.downSince === null) this.downSince = this.deps.clock.now();
  }

  private onReady(): void {
    if (!this.up) return;
    const was = this.downSince;
    this.downSince = null;
    this.lastError = null;
    this.logged = false;
    this.deps.log.info({ event: 'fleet', url: this.settings.displayUrl, downMs: was === null ? 0 : this.deps.clock.now() - was },
      `fleet: connected to ${this.settings.displayUrl} as ${this.settings.node}`);
    for (const w of [...this.waiters]) w();
  }

  /** Closes both connections (pending commands fail). */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.waiters]) w();
    await Promise.all([this.commands, this.blocking].map((c) => (c.isOpen ? c.disconnect().catch(() => undefined) : undefined)));
  }
}
