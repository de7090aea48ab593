/**
 * A stand-in for `journalctl --follow --output=json` where no journald runs: a
 * real child process that serves entries from a JSON-lines file (one journal
 * entry object per line, each with `__CURSOR`), honouring `--after-cursor=`,
 * `--lines=0` and `FIELD=value` / `+` matches, and following the file for new
 * entries. Its own options: `--fake-journal=FILE` (the entries),
 * `--fake-calls=FILE` (each invocation's arguments appended as a JSON line),
 * `--fake-exit-after=N` (exit 1 after printing N entries: a crash), `--fake-state=FILE` (rewritten
 * with `{"pid","seen","printed"}` once it has seeked and after every look at the journal: how many
 * entries it has looked at and printed, so a test knows when nothing more is coming).
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

type Entry = Record<string, string>;

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const journal = opt('fake-journal')!;
const calls = opt('fake-calls');
const exitAfter = opt('fake-exit-after') === undefined ? Infinity : Number(opt('fake-exit-after'));
const stateFile = opt('fake-state');
if (calls !== undefined) appendFileSync(calls, `${JSON.stringify(args.filter((a) => !a.startsWith('--fake-')))}\n`);

const groups: string[][] = [[]];
for (const a of args.filter((x) => !x.startsWith('-'))) {
  if (a === '+') groups.push([]);
  else groups[groups.length - 1]!.push(a);
}

function matches(e: Entry): boolean {
  return groups.some((terms) => {
    const byField = new Map<string, string[]>();
    for (const t of terms) {
      const eq = t.indexOf('=');
      byField.set(t.slice(0, eq), [...(byField.get(t.slice(0, eq)) ?? []), t.slice(eq + 1)]);
    }
    return [...byField].every(([field, values]) => values.includes(e[field] ?? '\0'));
  });
}

/** The complete entries so far (a line still being appended by the test is left for the next look). */
function entries(): Entry[] {
  return readFileSync(journal, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as Entry);
}

let pos: number;
const after = opt('after-cursor');
if (after !== undefined) {
  const idx = entries().findIndex((e) => e.__CURSOR === after);
  if (idx === -1) {
    process.stderr.write('Failed to seek to cursor: Invalid argument\n');
    process.exit(1);
  }
  pos = idx + 1;
} else pos = opt('lines') === '0' ? entries().length : 0;

let printed = 0;
let told = '';
/** Tells the test how far it got (written whole: a rename, so a reader never sees half of it). */
function tell(): void {
  const state = JSON.stringify({ pid: process.pid, seen: pos, printed });
  if (stateFile === undefined || state === told) return;
  writeFileSync(`${stateFile}.tmp`, state);
  renameSync(`${stateFile}.tmp`, stateFile);
  told = state;
}
tell();
if (exitAfter === 0) {
  process.stderr.write('fake journal: simulated crash\n');
  process.exit(1);
}
setInterval(() => {
  const all = entries();
  for (; pos < all.length; pos++) {
    if (!matches(all[pos]!)) continue;
    process.stdout.write(`${JSON.stringify(all[pos])}\n`);
    if (++printed >= exitAfter) {
      process.stderr.write('fake journal: simulated crash\n');
      process.exit(1);
    }
  }
  tell();
}, 30);
