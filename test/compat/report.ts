/**
 * Prints the compatibility measure as Markdown (docs/compat.md is written
 * from it): `node dist/test/compat/report.js > docs/compat.md`.
 */
import { checkAll, fetchFail2ban, removeFail2ban, type FilterCompat } from './samples.js';

process.env.TZ = 'Europe/Zurich';

/** Overall pass rate (percent) of a run. */
export function passRate(results: readonly FilterCompat[]): { checks: number; passed: number; rate: number } {
  const checks = results.reduce((n, r) => n + r.checks, 0);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  return { checks, passed, rate: checks === 0 ? 0 : (100 * passed) / checks };
}

function main(): void {
  const tree = fetchFail2ban();
  if (typeof tree === 'string') { console.log(`skipped: ${tree}`); return; }
  const results = checkAll(tree);
  removeFail2ban(tree);
  const total = passRate(results);
  const out = [
    '# fail2ban compatibility',
    '',
    `Debian's fail2ban ${tree.version}: ${results.length} filters with sample logs, ${total.checks} annotated checks`,
    `(\`# failJSON:\` match, host, time and the captured fields such as user and attempts),`,
    `**${total.passed} passed = ${total.rate.toFixed(1)} %**. Not compared: \`users\` (fail2ban's internal set of`,
    'user names per connection); times of journal samples (the journal supplies them).',
    'Measured by test/compat/fail2ban-compat.test.ts (which keeps the rate from regressing);',
    'regenerate with `node dist/test/compat/report.js > docs/compat.md`.',
    '',
    '| filter | checks | passed |',
    '|---|---:|---:|',
    ...results.map((r) => `| ${r.filter} | ${r.checks} | ${r.passed} |`),
    '',
    '## Remaining failures',
    '',
    ...results.flatMap((r) => r.failures.map((f) => `- \`${f.filter}\` line ${f.line}: ${f.reason}  \n  \`${f.text.slice(0, 160).replace(/`/g, "'")}\``)),
  ];
  if (total.passed === total.checks) out.push('None.');
  console.log(out.join('\n'));
}

if (process.argv[1]?.endsWith('report.js')) main();
