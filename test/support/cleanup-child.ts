/**
 * A stand-in test process for test/test-cleanup.test.ts: creates a namespace,
 * a tmpfs and a temp dir through the test helpers, prints their names as one
 * JSON line, then waits to be killed.
 */
import { Netns } from './netns.js';
import { Tmpfs } from './tmpfs.js';
import { tempConfigDir } from './config-files.js';

const ns = Netns.create('cchild');
const fs = Tmpfs.mount('1m');
const dir = tempConfigDir({ 'a.txt': 'x' });
process.stdout.write(`${JSON.stringify({ ns: ns.name, tmpfs: fs.dir, dir: dir.dir })}\n`);
setInterval(() => undefined, 1000);
