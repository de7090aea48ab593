/**
 * The mail tests' lab: a namespace whose /etc/netns hosts name smtp.test (127.0.0.1) and
 * registry.test (127.0.0.2), a test CA, the real peers of test/support/mail-peers.ts (SMTP on 25,
 * SMTP submission with STARTTLS + AUTH on 587, whois on 43) and the mails they received; `run`
 * drives the in-process reporter inside the namespace (test/support/mail-child.ts).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Delivery } from '../../src/outbox/worker.js';
import type { BanValues } from '../../src/actions/tags.js';
import { Netns, waitFor } from './netns.js';
import { tempConfigDir, type TempConfigDir } from './config-files.js';
import { makeTestCerts, type TestCerts } from './test-ca.js';
import { eachLine } from './lines.js';

const PEERS = fileURLToPath(new URL('./mail-peers.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./mail-child.js', import.meta.url));

/** One mail a peer received. */
export interface ReceivedMail { port: number; from: string; to: string[]; secure: boolean; user: string | null; data: string }

/** Namespace, peers and what they received. */
export class MailLab {
  readonly mails: ReceivedMail[] = [];
  private peers: ChildProcess | null = null;
  private constructor(readonly ns: Netns, readonly dir: TempConfigDir, readonly certs: TestCerts) {}

  /** Where the hostile whois answer's commands would leave their mark. */
  get canary(): string {
    return join(this.dir.dir, 'CANARY');
  }

  /** Creates the namespace, its hosts file and certificates, and starts the peers. */
  static async start(label: string, ns?: Netns): Promise<MailLab> {
    const dir = tempConfigDir();
    const lab = new MailLab(ns ?? Netns.create(label), dir, makeTestCerts(dir.dir, ['smtp.test'], ['127.0.0.1']));
    mkdirSync(`/etc/netns/${lab.ns.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${lab.ns.name}/hosts`, '127.0.0.1 localhost smtp.test\n127.0.0.2 registry.test\n');
    const child = lab.ns.spawn('node', [PEERS, '--smtp', '25', '--submission', '587', '--cert', lab.certs.cert, '--key', lab.certs.key, '--canary', lab.canary],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    lab.peers = child;
    let listening = false;
    eachLine(child.stdout!, (line) => {
      if (line === 'listening') listening = true;
      else lab.mails.push(JSON.parse(line) as ReceivedMail);
    });
    assert.ok(await waitFor(() => listening, 15_000), 'mail peers listening');
    return lab;
  }

  /** Runs the mail reporter `file` with `args` for `bans` inside the namespace; its outcomes and the time for all. */
  async run(file: string, args: Record<string, string>, bans: readonly BanValues[], parallel?: number): Promise<{ outcomes: Delivery[]; ms: number }> {
    const input = JSON.stringify({ file, args, bans, ...(parallel ? { parallel } : {}) });
    const child = spawn('ip', ['netns', 'exec', this.ns.name, process.execPath, CHILD, input], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise((res) => child.once('exit', res));
    assert.equal(code, 0, `mail child exited ${String(code)}: ${out}`);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Delivery & { ms?: number });
    const last = lines.pop()!;
    return { outcomes: lines, ms: last.ms! };
  }

  /** Waits until `n` mails arrived in all. */
  async waitMails(n: number, timeoutMs = 20_000): Promise<boolean> {
    return waitFor(() => this.mails.length >= n, timeoutMs);
  }

  /** Stops the peers, removes the namespace (unless it was given), hosts file and files. */
  async destroy(ownNs = true): Promise<void> {
    const p = this.peers;
    if (p && p.exitCode === null && p.signalCode === null) {
      const done = new Promise((res) => p.once('exit', res));
      p.kill('SIGKILL');
      await done;
    }
    if (ownNs) this.ns.destroy();
    rmSync(`/etc/netns/${this.ns.name}`, { recursive: true, force: true });
    this.dir.remove();
  }
}

/** A received message split into its (unfolded) headers and its decoded text body (LF line ends). */
export function parseMail(raw: string): { headers: Map<string, string[]>; body: string } {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const headers = new Map<string, string[]>();
  for (const h of text.slice(0, cut).replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = h.indexOf(':');
    const name = h.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), h.slice(colon + 1).trim()]);
  }
  let body = text.slice(cut + 2);
  const cte = headers.get('content-transfer-encoding')?.[0]?.toLowerCase();
  if (cte === 'quoted-printable') {
    body = Buffer.from(body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  } else if (cte === 'base64') {
    body = Buffer.from(body, 'base64').toString('utf8').replace(/\r\n/g, '\n');
  }
  return { headers, body };
}
