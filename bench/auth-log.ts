/**
 * A realistic synthetic auth.log for the filter benchmark: syslog lines from
 * cron, systemd, sudo, the kernel (UFW) and sshd sessions that succeed, with
 * about 10 % sshd failures (IPv4 and IPv6, documentation ranges only).
 * Deterministic (seeded), dates increasing one line after another.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USERS = ['root', 'admin', 'oracle', 'test', 'ubuntu', 'postgres', 'git', 'pi', 'x from 203.0.113.250', 'deploy'];

/** A generated log and what the sshd filter should find in it. */
export interface AuthLog {
  readonly lines: string[];
  /** Number of failure lines (each one sshd failure). */
  readonly failures: number;
  /** Time of the last line (ms): a clock for the filter. */
  readonly end: number;
}

function syslogDate(t: number): string {
  const d = new Date(t);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Generates `n` lines starting at `start` (ms, UTC), `failureShare` of them sshd failures. */
export function generateAuthLog(n: number, start = Date.UTC(2026, 10, 1), failureShare = 0.1): AuthLog {
  let seed = 0x2545f491;
  const rnd = (k: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % k;
  };
  const v4 = (): string => `${rnd(2) ? '203.0.113' : '198.51.100'}.${1 + rnd(254)}`;
  const v6 = (): string => `2001:db8:${rnd(0xffff).toString(16)}::${(1 + rnd(0xfffe)).toString(16)}`;
  const addr = (): string => (rnd(3) === 0 ? v6() : v4());
  const pid = (): number => 1000 + rnd(60000);
  const noise: Array<() => string> = [
    () => `CRON[${pid()}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
    () => `CRON[${pid()}]: pam_unix(cron:session): session closed for user root`,
    () => `systemd-logind[612]: New session ${rnd(9999)} of user deploy.`,
    () => `systemd[1]: Started session-${rnd(9999)}.scope - Session ${rnd(9999)} of User deploy.`,
    () => `sshd[${pid()}]: Accepted publickey for deploy from ${addr()} port ${1024 + rnd(60000)} ssh2: ED25519 SHA256:q3b9Xv0mZ1kq2WcF8u1Vx3l5PfYp0aQe2yQeN5cGm4s`,
    () => `sshd[${pid()}]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)`,
    () => `sshd[${pid()}]: Received disconnect from ${addr()} port ${1024 + rnd(60000)}:11: disconnected by user`,
    () => `sshd[${pid()}]: Disconnected from user deploy ${addr()} port ${1024 + rnd(60000)}`,
    () => `sudo[${pid()}]:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl status nginx`,
    () => `kernel: [${rnd(99999)}.${rnd(999999)}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${v4()} DST=192.0.2.10 LEN=40 TOS=0x00 PROTO=TCP SPT=${rnd(65535)} DPT=23 WINDOW=1024 SYN URGP=0`,
  ];
  const failures: Array<() => string> = [
    () => `sshd[${pid()}]: Failed password for ${USERS[rnd(USERS.length)]} from ${addr()} port ${1024 + rnd(60000)} ssh2`,
    () => `sshd[${pid()}]: Failed password for invalid user ${USERS[rnd(USERS.length)]} from ${addr()} port ${1024 + rnd(60000)} ssh2`,
    () => `sshd[${pid()}]: Invalid user ${USERS[rnd(USERS.length)]} from ${addr()} port ${1024 + rnd(60000)}`,
    () => `sshd[${pid()}]: error: maximum authentication attempts exceeded for root from ${addr()} port ${1024 + rnd(60000)} ssh2 [preauth]`,
  ];
  const lines: string[] = new Array<string>(n);
  let failed = 0;
  let t = start;
  const threshold = Math.round(failureShare * 1000);
  for (let i = 0; i < n; i++) {
    t += rnd(3) * 1000;
    const fail = rnd(1000) < threshold;
    if (fail) failed++;
    const body = fail ? failures[rnd(failures.length)]!() : noise[rnd(noise.length)]!();
    lines[i] = `${syslogDate(t)} web1 ${body}`;
  }
  return { lines, failures: failed, end: t };
}
