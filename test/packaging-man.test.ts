/**
 * The man pages come from the same text as `--help` and docs/configuration.md: every command's
 * help appears in f2b-fw(8), every jail key of the reference in f2b-fw.conf(5), and roff's own
 * control characters in that text cannot start a request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../src/cli/commands/index.js';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { commandsPage, markdownPage, roffText } from '../packaging/man.js';

test('f2b-fw(8) holds every command with its --help text', async () => {
  const page = await commandsPage();
  assert.match(page, /^\.TH F2B-FW 8 /);
  for (const entry of COMMANDS) {
    const help = (await entry.load()).help;
    assert.ok(page.includes(`.SS ${roffText(entry.name)}`), entry.name);
    assert.ok(page.includes(roffText(help)), `${entry.name}: help text`);
  }
  assert.match(page, /\.SS flushlogs\n/);
});

test('f2b-fw.conf(5) is docs/configuration.md: sections, and every key of the jail table', () => {
  const md = readFileSync(join(PACKAGE_ROOT, 'docs', 'configuration.md'), 'utf8');
  const page = markdownPage(md, 'f2b-fw.conf', 5, 'x');
  assert.match(page, /^\.SH JAIL KEYS$/m);
  const keys = [...md.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]!);
  assert.ok(keys.length > 20);
  for (const k of keys) assert.ok(page.includes(`\\fB${roffText(k)}\\fR`), k);
});

test('a line of text starting with a dot or an apostrophe cannot become a roff request', () => {
  assert.equal(roffText(".TH x\n'br\na-b\\c"), "\\&.TH x\n\\&'br\na\\-b\\ec");
});
