/**
 * fail2ban compatibility: every `# failJSON:` annotation in Debian's fail2ban
 * sample logs, checked with fail2ban's own filter.d files loaded by our
 * loader and run by our engine. Skipped (with the reason) when the package
 * cannot be downloaded. The rate must not fall below what was reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAll, fetchFail2ban, removeFail2ban } from './samples.js';
import { passRate } from './report.js';

process.env.TZ = 'Europe/Zurich';

/** The rate reached (docs/compat.md), rounded down; raise it when more passes. */
const MIN_RATE = 100;

test('fail2ban sample logs pass with fail2ban filters', (t) => {
  const tree = fetchFail2ban();
  if (typeof tree === 'string') {
    t.skip(tree);
    return;
  }
  let results;
  try {
    results = checkAll(tree);
  } finally {
    removeFail2ban(tree);
  }
  const total = passRate(results);
  const failures = results.flatMap((r) => r.failures.map((f) => `${f.filter}:${f.line} ${f.reason}`));
  t.diagnostic(`fail2ban ${tree.version}: ${total.passed}/${total.checks} = ${total.rate.toFixed(1)} %`);
  assert.ok(results.length >= 80, `filters with samples: ${results.length}`);
  assert.ok(total.checks >= 1300, `annotated checks: ${total.checks}`);
  assert.ok(total.rate >= MIN_RATE, `pass rate ${total.rate.toFixed(1)} % < ${MIN_RATE} %:\n${failures.join('\n')}`);
});
