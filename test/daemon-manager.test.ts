import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { KernelQueue } from '../src/bans/kernel-queue.js';
import { BanManager } from '../src/bans/manager.js';
import { BanStore } from '../src/bans/store.js';
import { NullDriver } from '../src/fw/null.js';
import type { Ban, Decision } from '../src/core/records.js';
import type { Clock } from '../src/core/clock.js';

/** The null driver, counting its transactions. */
class CountingDriver extends NullDriver {
  transactions = 0;
  override async ban(bans: readonly Ban[]): Promise<void> {
    this.transactions++;
    return super.ban(bans);
  }
}

function setup() {
  const clock: Clock = { now: () => 1_700_000_000_000 };
  const lines: { msg: string; event?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string }); } });
  const store = BanStore.open(':memory:');
  const driver = new CountingDriver(clock);
  const kernelErrors: Error[] = [];
  const manager = new BanManager({ store, clock, log, driver, kernel: new KernelQueue(), onKernelError: (e) => kernelErrors.push(e) });
  return { store, driver, manager, lines, kernelErrors };
}

const decision = (addr: string, jail = 'sshd'): Decision => ({ op: 'ban', jail, addr, ttl: 600, reason: 'maxretry reached', matches: [`FAIL ${addr}`] });

test('decisions of one event-loop turn become one store transaction and one kernel transaction', async () => {
  const t = setup();
  const addrs = [...Array(1000).keys()].map((i) => `2001:db8:c::${(i + 1).toString(16)}`);
  const applied = await Promise.all([...addrs, addrs[0]!].map((a) => t.manager.submit(decision(a))));
  assert.equal(t.driver.transactions, 1);
  assert.equal((await t.driver.list('sshd')).length, 1000);
  assert.equal(t.store.countCurrent(1_700_000_000_000), 1000);
  assert.equal(applied.filter((a) => !a.fresh).length, 1, 'the duplicate in the same batch is "already banned"');
  assert.equal(t.manager.totals.get('sshd'), 1000);
  assert.equal(t.lines.filter((l) => l.event === 'ban').length, 1000);
  assert.ok(t.lines.some((l) => l.msg === `[sshd] ${addrs[0]} already banned`));
  const again = await t.manager.submit(decision(addrs[5]!));
  assert.equal(again.fresh, false, 'a ban in force is not extended by more failures');
  assert.equal(t.driver.transactions, 1);
});

test('when the database refuses a ban the host is still protected in the kernel, and the error is logged', async () => {
  const t = setup();
  t.store.close();
  await assert.rejects(t.manager.submit(decision('203.0.113.40')));
  await t.manager.idle();
  assert.deepEqual((await t.driver.list('sshd')).map((b) => b.addr), ['203.0.113.40']);
  assert.ok(t.lines.some((l) => l.event === 'store-error' && /banning in the kernel only/.test(l.msg)));
});
