/** What reconcile plans say about objects someone else changed (pure: no kernel). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredState } from '../src/fw/nft/desired.js';
import { reconcilePlan } from '../src/fw/nft/diff.js';
import type { ActualRule, ActualState } from '../src/fw/nft/actual.js';
import type { FirewallLayout } from '../src/fw/layout.js';

const layout: FirewallLayout = {
  priority: -10,
  jails: [{ name: 'sshd', ports: [{ from: 22, to: 22 }], protocols: ['tcp'], hooks: ['input'], verdict: 'drop', maxelem: 1048576 }],
};

/** The kernel exactly as desired, then changed by `edit`. */
function actualFrom(edit: (a: { chains: Map<string, unknown>; rules: ActualRule[]; marked: boolean }) => void): ActualState {
  const d = desiredState(layout, [], 0);
  const a = {
    chains: new Map([...d.chains]), rules: [...d.rules.values()].map((r, i): ActualRule => ({ chain: r.chain, comment: r.comment, body: r.body, handle: i + 10 })), marked: true,
  };
  edit(a as never);
  return { exists: true, marked: a.marked, chains: a.chains as ActualState['chains'], sets: d.sets, rules: a.rules, elements: new Map() };
}

test('a chain whose policy was changed says so (not "prio -10 → -10")', () => {
  const actual = actualFrom((a) => a.chains.set('input', { ...(a.chains.get('input') as object), policy: 'drop' }));
  const { plan } = reconcilePlan(desiredState(layout, [], 0), actual);
  const chain = plan.changes.find((c) => c.kind === 'chain');
  assert.equal(chain?.reason, 'changed by someone else: policy drop → accept');
});

test('a rule without our comment in our chain is deleted; a missing marker is refused unless the table is ours', () => {
  const rogue: ActualRule = { chain: 'input', body: 'immediate(1=00000000 2{2{1{00000001}}})', handle: 99 };
  const desired = desiredState(layout, [], 0);
  const { plan } = reconcilePlan(desired, actualFrom((a) => a.rules.unshift(rogue)));
  assert.deepEqual(plan.changes.map((c) => `${c.action} ${c.object} (${c.reason})`),
    ['delete inet f2b-fw input handle 99 (not put there by f2b-fw (a rule without our comment in our chain))']);
  const unmarked = actualFrom((a) => { a.marked = false; });
  assert.throws(() => reconcilePlan(desired, unmarked), /was not created by f2b-fw/);
  const ours = reconcilePlan(desired, unmarked, false, true).plan.changes;
  assert.deepEqual(ours.map((c) => c.reason), ['the ownership marker was deleted (this daemon built the table): put back']);
});

test('a rule with our comment whose body was replaced is deleted and built again; the plan says why', () => {
  const desired = desiredState(layout, [], 0);
  const actual = actualFrom((a) => { a.rules[0] = { ...a.rules[0]!, body: `${a.rules[0]!.body.replace(/immediate\(.*\)$/, 'immediate(1=00000000 2{2{1{00000001}}})')}` }; });
  assert.notEqual(actual.rules[0]!.body, [...desired.rules.values()][0]!.body);
  const { plan, batch } = reconcilePlan(desired, actual);
  assert.deepEqual(plan.changes.map((c) => `${c.action} ${c.kind} (${c.reason})`), [
    'delete rule (its body was changed by someone else (our comment, other matches or verdict))',
    'create rule (missing)',
  ]);
  assert.equal(batch.size, 2, 'DELRULE + NEWRULE');
  // The kernel's copy of an untouched rule is not replaced.
  assert.deepEqual(reconcilePlan(desired, actualFrom(() => undefined)).plan.changes, []);
});

test('a range someone else put into an interval set (no prefix, read back as `a-b`) is removed, not a failed reconcile', () => {
  const desired = desiredState(layout, [{ jail: 'sshd', addr: '198.51.100.0/30', expiresAt: null }], 0);
  const base = actualFrom(() => undefined);
  const actual: ActualState = { ...base, elements: new Map([['sshd-v4-net', new Map<string, number | null>([['198.51.100.0/30', null], ['203.0.113.0-203.0.113.5', null], ['203.0.113.8-end', null]])]]) };
  const { plan, batch } = reconcilePlan(desired, actual);
  assert.equal(batch.error, undefined);
  assert.deepEqual(plan.changes.map((c) => `${c.action} ${c.object}`), ['remove inet f2b-fw sshd-v4-net 203.0.113.0-203.0.113.5', 'remove inet f2b-fw sshd-v4-net 203.0.113.8-end']);
  assert.ok(batch.size > 0, 'the removal is in the batch');
});
