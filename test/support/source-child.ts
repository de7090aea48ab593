/**
 * A log source in a child process, for tests that need another user (permission
 * denied as root is impossible): `node source-child.js BACKEND PATH...`. Prints one
 * JSON object per line: `{"type":"started"}`, `{"type":"line","source","text"}`,
 * `{"type":"error","source","message"}`; stops on SIGTERM.
 */
import { createSources, type SourceBackend } from '../../src/sources/source.js';
import { MemoryPositionStore } from '../../src/sources/position.js';
import { systemClock } from '../../src/core/clock.js';
import { TEST_TUNING } from './source-tuning.js';

const [backend, ...paths] = process.argv.slice(2);
const print = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};
const source = createSources({ logpath: paths, backend: backend as SourceBackend }, {
  clock: systemClock,
  positions: new MemoryPositionStore(),
  onLine: (line) => print({ type: 'line', source: line.source, text: line.text }),
  onError: (err, src) => print({ type: 'error', source: src, message: err.message }),
  tuning: TEST_TUNING,
});
await source.start();
print({ type: 'started' });
process.on('SIGTERM', () => {
  void source.stop().then(() => process.exit(0));
});
