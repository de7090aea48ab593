/**
 * Child process for test/netlink-watch.test.ts, run inside a test namespace:
 * starts the ruleset watcher, then lets a foreign `nft -f` commit `count`
 * set elements into our table while this process's event loop is blocked
 * (spawnSync), so the watcher's receive buffer overruns. Prints the reason
 * the watcher reports as one JSON line and exits 0; dies if the socket layer does.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { watchRuleset, isOwnThread } from '../../native/netlink/ruleset-watch.js';

const [file, countText] = process.argv.slice(2);
const count = Number(countText);
const elems: string[] = [];
for (let i = 0; i < count; i++) elems.push(`2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`);
writeFileSync(file!, `table inet f2b-fw {\n set flood-v6 {\n type ipv6_addr\n elements = { ${elems.join(', ')} }\n }\n}\n`);
// Keeps the process up until the watcher answers (the watcher's socket never holds the loop open).
const guard = setTimeout(() => { console.log(JSON.stringify({ reason: null })); process.exit(0); }, 60_000);
const watch = watchRuleset({
  table: 'f2b-fw', isOwn: isOwnThread, events: true, generationCheckMs: 0, periodMs: 0,
  onChange(reason) {
    clearTimeout(guard);
    watch.close();
    console.log(JSON.stringify({ reason, mode: watch.mode }));
  },
});
const r = spawnSync('nft', ['-f', file!], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
