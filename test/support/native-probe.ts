/**
 * Preloaded with `node --import` into a CLI process: at exit, prints to stderr
 * which packages of node_modules the process loaded (`LOADED ["koffi", …]`), so
 * a test can tell that a client command loaded nothing native.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const names = new Set<string>();
  for (const path of Object.keys(require.cache)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (m) names.add(m[1]!);
  }
  process.stderr.write(`LOADED ${JSON.stringify([...names].sort())}\n`);
});
