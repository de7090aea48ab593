/**
 * Runs the in-process AbuseIPDB reporter inside a test namespace (where /etc/netns/NAME/hosts maps
 * api.abuseipdb.com to a local HTTPS peer trusted through NODE_EXTRA_CA_CERTS) for the bans given
 * as JSON on argv, printing each outcome as a JSON line.
 * Usage: node abuseipdb-child.js '{"args":{…},"bans":[BanValues…]}'
 */
import { systemClock } from '../../src/core/clock.js';
import { AbuseIpdbReporter } from '../../src/actions/reporters/abuseipdb.js';
import type { ClassifiedAction } from '../../src/actions/classify.js';
import type { BanValues } from '../../src/actions/tags.js';

const input = JSON.parse(process.argv[2]!) as { args: Record<string, string>; bans: BanValues[] };
const action: ClassifiedAction = {
  jail: 'sshd', name: 'abuseipdb', kind: 'reporter', reporter: 'abuseipdb', reason: 'test',
  ref: { name: 'abuseipdb', file: 'abuseipdb', args: new Map(Object.entries(input.args)), text: 'abuseipdb[…]', pos: { file: 'jail.local', line: 1 } },
};
const reporter = new AbuseIpdbReporter(action, { fetch, clock: systemClock });
for (const ban of input.bans) {
  const r = await reporter.run('ban', ban);
  process.stdout.write(`${JSON.stringify({ ...r, now: Date.now() })}\n`);
}
