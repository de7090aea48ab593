/**
 * Runs the in-process mail reporter inside a test namespace (where the mail peers listen and
 * /etc/netns/NAME/hosts names them) for the bans given as JSON on argv, with the real nodemailer,
 * real TCP whois and Node's timers; prints each outcome as a JSON line, then `{"ms":…}` (the
 * time for all, for the benchmark figure).
 * Usage: node mail-child.js '{"file":"sendmail-whois-lines","args":{…},"bans":[BanValues…],"parallel":false}'
 */
import { systemTimers } from '../../src/core/clock.js';
import { defaultMailDeps } from '../../src/actions/factory.js';
import { MailReporter } from '../../src/actions/mail.js';
import type { ClassifiedAction } from '../../src/actions/classify.js';
import type { BanValues } from '../../src/actions/tags.js';

const input = JSON.parse(process.argv[2]!) as { file: string; args: Record<string, string>; bans: BanValues[]; parallel?: number };
const action: ClassifiedAction = {
  jail: 'sshd', name: input.file, kind: 'reporter', reporter: 'mail', reason: 'test',
  ref: { name: input.file, file: input.file, args: new Map(Object.entries({ name: 'sshd', ...input.args })), text: `${input.file}[…]`, pos: { file: 'jail.local', line: 1 } },
};
const reporter = new MailReporter(action, { ...defaultMailDeps(), hostname: () => 'host.test', timers: systemTimers, concurrency: input.parallel ?? 4 });
const started = process.hrtime.bigint();
if (input.parallel) {
  // As the outbox worker runs it: `parallel` deliveries at once.
  const queue = [...input.bans];
  await Promise.all(Array.from({ length: input.parallel }, async () => {
    for (let b = queue.shift(); b; b = queue.shift()) process.stdout.write(`${JSON.stringify(await reporter.run('ban', b))}\n`);
  }));
} else {
  for (const ban of input.bans) process.stdout.write(`${JSON.stringify(await reporter.run('ban', ban))}\n`);
}
process.stdout.write(`${JSON.stringify({ ms: Number(process.hrtime.bigint() - started) / 1e6 })}\n`);
await reporter.stop();
