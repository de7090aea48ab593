#!/usr/bin/env bash
# The router lab scenario on the Vagrant machines (run from the checkout after `vagrant up`):
#  1. the attacker reaches router:22 and, through the forward, lan:80 via router:8080;
#  2. it fails ssh logins (real sshd "Invalid user" lines in auth.log) and scans ports (real
#     "[UFW BLOCK]" kernel lines in kern.log);
#  3. f2b-fw bans it: router:22 and the forwarded 8080 are closed to it, 198.51.100.3 still gets in;
#  4. the ban survives `systemctl restart f2b-fw`, `nft flush ruleset` and `systemctl restart nftables`;
#  5. the ban expires (bantime 90 s in the lab) and the attacker gets through again.
# Exits non-zero at the first step that does not behave.
set -euo pipefail
cd "$(dirname "$0")/.."

ATTACKER=198.51.100.2
OTHER=198.51.100.3
ROUTER=198.51.100.254

step() { printf '\n=== %s\n' "$*"; }
on() { local host=$1; shift; vagrant ssh "$host" -c "$*" -- -q -o LogLevel=ERROR; }
ok() { printf '  ok: %s\n' "$*"; }
fail() { printf '  FAILED: %s\n' "$*" >&2; exit 1; }
# reach FROM PORT: can the attacker machine, from source address FROM, open router:PORT?
reach() { on attacker "nc -z -w 3 -s $1 $ROUTER $2" >/dev/null 2>&1; }
web() { on attacker "curl -fsS --max-time 5 --interface $1 http://$ROUTER:8080/" >/dev/null 2>&1; }
# until SECONDS CMD...: retries CMD every 2 s for up to SECONDS.
until_ok() { local end=$((SECONDS + $1)); shift; until "$@"; do ((SECONDS < end)) || return 1; sleep 2; done; }
blocked() { ! reach "$ATTACKER" 22 && ! web "$ATTACKER"; }
open_for() { reach "$1" 22 && web "$1"; }

step "1. the attacker reaches the router's ssh and the forwarded web server"
open_for "$ATTACKER" && ok "$ATTACKER -> $ROUTER:22 and $ROUTER:8080 (lan:80)" || fail "no path before the attack"
open_for "$OTHER" && ok "$OTHER gets through too" || fail "second client has no path"

step "2. attack: failed ssh logins and a port scan from $ATTACKER"
on attacker "for i in 1 2 3 4 5; do ssh -b $ATTACKER -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 nosuchuser\$i@$ROUTER true 2>/dev/null; done; true"
on attacker "for p in 23 25 110 143 445 1433 3306 3389 5900 6379; do nc -z -w 1 -s $ATTACKER $ROUTER \$p; done; true"
on router "sudo grep -c 'Invalid user nosuchuser' /var/log/auth.log; sudo grep -c 'UFW BLOCK.*SRC=$ATTACKER' /var/log/kern.log" | sed 's/^/  log lines: /'

step "3. f2b-fw bans the attacker"
until_ok 30 on router "sudo f2b-fw banned $ATTACKER" >/dev/null || fail "$ATTACKER not banned within 30 s"
on router "sudo f2b-fw banned $ATTACKER; sudo f2b-fw status sshd"
blocked && ok "$ATTACKER can reach neither router:22 nor the forwarded 8080" || fail "banned but still gets through"
open_for "$OTHER" && ok "$OTHER still gets through" || fail "the other client was blocked"

step "4a. systemctl restart f2b-fw: the ban stays"
on router "sudo systemctl restart f2b-fw"
blocked && ok "still blocked after the restart" || fail "ban lost on restart"
on router "sudo f2b-fw banned $ATTACKER" >/dev/null && ok "f2b-fw still lists it" || fail "restarted daemon forgot the ban"

step "4b. nft flush ruleset: f2b-fw repairs its table"
on router "sudo nft flush ruleset"
until_ok 10 on router "sudo nft list set inet f2b-fw sshd-v4 | grep -q $ATTACKER" || fail "table not repaired within 10 s"
! reach "$ATTACKER" 22 && ok "repaired: router:22 closed to $ATTACKER again" || fail "not blocked after the flush"
on router "sudo systemctl restart nftables"
sleep 2
blocked && ok "blocked after nftables.service reloaded the base ruleset" || fail "not blocked after nftables restart"
open_for "$OTHER" && ok "$OTHER gets through (forward restored)" || fail "the other client lost its path"

step "5. the ban expires"
until_ok 180 open_for "$ATTACKER" || fail "$ATTACKER still blocked 180 s later"
ok "$ATTACKER gets through again"
on router "sudo f2b-fw banned $ATTACKER" >/dev/null && fail "f2b-fw still lists an expired ban" || ok "no longer listed"

printf '\nScenario passed.\n'
