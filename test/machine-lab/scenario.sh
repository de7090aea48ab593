# The machine lab scenario: a Debian 12 router with the f2b-fw package under systemd, real sshd,
# journald, rsyslog and logrotate, attacked over the network. Sourced by run.sh after a provider
# (provider-nspawn.sh here, provider-vagrant.sh with a hypervisor), which defines lab_up, on, put,
# power_cycle, lab_down, LAB_UNIT_SETUP/LAB_UNIT_DROPIN (its change to the unit) and the addresses
# ROUTER_ADDR ATTACKER CLIENT ROUTER_LAN LAN_ADDR.
# Prints "ok - …" per checked fact, "# …" notes, and stops with "not ok - …" at the first failure.
# Needs DEB (the .deb to install) and REPO (this checkout).

FWD_PORT=2222
T0=$SECONDS
ok() { printf 'ok - %s\n' "$*"; }
note() { printf '# %s\n' "$*"; }
fail() {
  printf 'not ok - %s\n' "$*"
  note "router: systemctl status f2b-fw / journal:"
  on router 'systemctl --no-pager status f2b-fw 2>&1 | head -n 15; journalctl --no-pager -u f2b-fw -n 30 -o cat' 2>&1 | sed 's/^/#   /' || true
  exit 1
}
ms() { date +%s%3N; }
# until_ok SECONDS CMD…: polls CMD every 0.1 s until it succeeds; fails after SECONDS.
until_ok() {
  local end=$(( $(ms) + $1 * 1000 )); shift
  until "$@"; do [ "$(ms)" -lt "$end" ] || return 1; sleep 0.1; done
}
r() { on router "$*"; }
addr_of() { if [ "$1" = attacker ]; then echo "$ATTACKER"; else echo "$CLIENT"; fi; }
# reach FROM PORT: can FROM (attacker or client, from its own address) open router:PORT?
reach() { on "$1" "nc -z -w 2 -s $(addr_of "$1") $ROUTER_ADDR $2" >/dev/null 2>&1; }
# ssh_fail FROM PORT N: N real ssh logins with a wrong password (one prompt each) from FROM's address.
# A ban can land in the middle of a login and drop its packets: ServerAlive ends such a login in ~3 s
# (ConnectTimeout covers only the connect; without it ssh waited for TCP to give up, many minutes).
ssh_fail() {
  local from=$1 port=$2 n=$3 src
  src=$(addr_of "$from")
  on "$from" "for i in \$(seq $n); do sshpass -p wrong-password ssh -b $src -p $port -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o PreferredAuthentications=password -o PubkeyAuthentication=no \
    -o NumberOfPasswordPrompts=1 -o ConnectTimeout=3 -o ServerAliveInterval=1 -o ServerAliveCountMax=3 \
    -o LogLevel=ERROR admin\$i@$ROUTER_ADDR true; done" 2>/dev/null || true
}
banned_in() { r "f2b-fw banned $2 --json" 2>/dev/null | grep -Eq "\"jail\": *\"$1\""; }
in_set() { r "nft list set inet f2b-fw $1-v4 2>/dev/null" | grep -qw "$2"; }
total_failed() { r "f2b-fw status $1 --json" | sed -n 's/.*"totalFailed": *\([0-9]*\).*/\1/p'; }
failed_is() { [ "$(total_failed "$1")" = "$2" ]; }
# auth_lines N FIRST: N sshd failure lines through the real syslog path (journald → rsyslog →
# /var/log/auth.log), one per address 203.0.113.FIRST…, so none of them is banned.
auth_lines() {
  r "for i in \$(seq $2 $(( $2 + $1 - 1 ))); do logger -p auth.info -t sshd --id=4242 \"Failed password for invalid user lab from 203.0.113.\$i port 4000 ssh2\"; done"
}

note "lab up ($PROVIDER)"
t=$SECONDS; lab_up; note "machines up in $((SECONDS - t)) s"

note "router: the admin's own firewall (nftables.service: DNAT $FWD_PORT -> $LAN_ADDR:22), remote syslog from the LAN"
r 'cat > /etc/nftables.conf' <<NFT
#!/usr/sbin/nft -f
flush ruleset
table ip lab-nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $ROUTER_ADDR tcp dport $FWD_PORT dnat to $LAN_ADDR:22
  }
}
NFT
r "printf 'module(load=\"imudp\")\ninput(type=\"imudp\" address=\"$ROUTER_LAN\" port=\"514\")\n' > /etc/rsyslog.d/10-lan.conf"
r 'systemctl enable --now nftables 2>&1 && systemctl restart rsyslog 2>&1 || { systemctl --no-pager status nftables rsyslog; false; }' | sed 's/^/#   /'; [ "${PIPESTATUS[0]}" = 0 ] || fail "nftables.service or rsyslog did not start"
on lan "echo 'auth,authpriv.* @$ROUTER_LAN:514' > /etc/rsyslog.d/90-router.conf && systemctl restart rsyslog && systemctl is-active ssh" >/dev/null || fail "LAN host: sshd or rsyslog not running"
r 'systemctl is-active ssh rsyslog nftables' >/dev/null && ok "router runs sshd, rsyslog and nftables.service" || fail "router services not active"

note "install $(basename "$DEB") with apt"
put router "$DEB" /root/f2b-fw.deb
t=$SECONDS
apt_out=$(r 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /root/f2b-fw.deb' 2>&1) || { sed 's/^/#   /' <<<"$apt_out"; fail "apt-get install ./f2b-fw.deb"; }
ok "apt-get install ./$(basename "$DEB") in $((SECONDS - t)) s (node $(r 'node --version'))"
r 'test -x /usr/bin/f2b-fw && test -f /etc/f2b-fw/jail.local && test -f /etc/logrotate.d/f2b-fw && man -w f2b-fw >/dev/null 2>&1 || test -f /usr/share/man/man8/f2b-fw.8.gz' && ok "files in place: /usr/bin/f2b-fw, /etc/f2b-fw, /etc/logrotate.d/f2b-fw, f2b-fw(8)" || fail "package files missing"
r 'f2b-fw version' >/dev/null && ok "f2b-fw runs under Debian's node $(r 'node --version')" || fail "f2b-fw version under Debian's node"

r 'cat > /etc/f2b-fw/jail.local' <<JAIL
# The lab router: the router's own sshd from the journal, the forwarded LAN sshd from auth.log
# (the LAN host logs to the router over syslog), repeat offenders from f2b-fw's own log.
[DEFAULT]
bantime  = 1h
findtime = 10m
ignoreip = 127.0.0.1/8 ::1

[sshd]
enabled  = true
backend  = systemd
maxretry = 3

[lan-sshd]
enabled  = true
filter   = sshd
logpath  = /var/log/auth.log
port     = $FWD_PORT
maxretry = 3

[recidive]
enabled  = true
maxretry = 2
findtime = 1d
bantime  = 1w
JAIL
# The scenario's only change to the unit: a watchdog of 5 s instead of 30 s, so the freeze test is short.
r 'mkdir -p /etc/systemd/system/f2b-fw.service.d && printf "[Service]\nWatchdogSec=5s\n" > /etc/systemd/system/f2b-fw.service.d/lab.conf && systemctl daemon-reload'
r 'systemctl enable f2b-fw >/dev/null 2>&1; systemctl restart f2b-fw' || fail "systemctl restart f2b-fw"
show=$(r 'systemctl show f2b-fw -p ActiveState -p SubState -p StatusText -p WatchdogUSec -p Type')
grep -q '^ActiveState=active$' <<<"$show" && grep -q '^Type=notify$' <<<"$show" && ok "f2b-fw.service active (Type=notify)" || fail "f2b-fw.service not active: $show"
grep -q '^StatusText=.*3 jail' <<<"$show" && ok "READY status text: $(sed -n 's/^StatusText=//p' <<<"$show")" || fail "no status text: $show"
grep -q '^WatchdogUSec=5s$' <<<"$show" && ok "watchdog armed (WatchdogUSec=5s)" || fail "no watchdog: $show"
exposure=$(r 'systemd-analyze security f2b-fw 2>/dev/null' | sed -n 's/.*Overall exposure level for f2b-fw.service: \([0-9.]*\).*/\1/p')
recorded=$(sed -n 's/.*systemd-analyze security f2b-fw`: \*\*\([0-9.]*\)\*\*.*/\1/p' "$REPO/README.md")
note "systemd-analyze security f2b-fw: $exposure (README records $recorded)"
[ -n "$exposure" ] && [ -n "$recorded" ] && awk "BEGIN{exit !($exposure <= $recorded)}" && ok "exposure $exposure, not worse than the recorded $recorded" || fail "exposure level $exposure worse than $recorded (or unknown)"
sandbox() { r 'systemctl show f2b-fw -p ProtectProc -p ProtectKernelTunables -p ProtectControlGroups -p ProtectSystem -p PrivateTmp' | sort | paste -sd' ' -; }
shipped_sandbox=$(sandbox)
if [ -n "$LAB_UNIT_DROPIN" ]; then
  note "provider $PROVIDER changes the unit: $(tr '\n' ' ' <<<"$LAB_UNIT_DROPIN")(see provider-$PROVIDER.sh)"
  [ -z "$LAB_UNIT_SETUP" ] || r "$LAB_UNIT_SETUP" || fail "provider $PROVIDER: $LAB_UNIT_SETUP"
  printf '[Service]\n%s\n' "$LAB_UNIT_DROPIN" | r 'cat > /etc/systemd/system/f2b-fw.service.d/provider.conf && systemctl daemon-reload && systemctl restart f2b-fw'
fi
[ "$(sandbox)" = "$shipped_sandbox" ] && ok "the service runs with the shipped unit's sandbox: $shipped_sandbox" || fail "sandbox changed: $(sandbox) (shipped: $shipped_sandbox)"

reach attacker 22 && reach attacker $FWD_PORT && reach client 22 && reach client $FWD_PORT && ok "before the attack: attacker and client reach router:22 and router:$FWD_PORT (LAN sshd)" || fail "no path before the attack"

note "attack 1: wrong passwords at the forwarded LAN sshd (router:$FWD_PORT → auth.log over syslog)"
ssh_fail attacker $FWD_PORT 4
until_ok 20 banned_in lan-sshd "$ATTACKER" && ok "[lan-sshd] bans $ATTACKER from rsyslog's /var/log/auth.log" || fail "no lan-sshd ban within 20 s"
! reach attacker $FWD_PORT && ok "attacker cut off from the forwarded port $FWD_PORT" || fail "attacker still reaches $FWD_PORT"
reach attacker 22 && ok "attacker still reaches router:22 (the journal jail saw nothing yet)" || fail "attacker lost router:22 too early"

note "our own log through the shipped /etc/logrotate.d/f2b-fw (postrotate: f2b-fw flushlogs)"
r 'logrotate -f /etc/logrotate.d/f2b-fw' || fail "logrotate -f /etc/logrotate.d/f2b-fw"
r "grep -q '\[lan-sshd\] Ban $ATTACKER' /var/log/f2b-fw/f2b-fw.log.1" && ok "f2b-fw.log rotated to f2b-fw.log.1" || fail "no rotated f2b-fw.log.1 with the ban"

note "attack 2: wrong passwords at the router's own sshd (journald, backend = systemd)"
ssh_fail attacker 22 4
until_ok 20 banned_in sshd "$ATTACKER" && ok "[sshd] bans $ATTACKER from the journal" || fail "no sshd ban within 20 s"
! reach attacker 22 && ! reach attacker $FWD_PORT && ok "attacker cut off on the router and on the forwarded port" || fail "attacker still gets through"
reach client 22 && reach client $FWD_PORT && ok "the other client still reaches router:22 and router:$FWD_PORT" || fail "the other client was cut off"
r "journalctl -u f2b-fw -o cat | grep -q '\[sshd\] Ban $ATTACKER'" && ok "journalctl -u f2b-fw shows [sshd] Ban $ATTACKER" || fail "no [sshd] Ban line in the journal"
until_ok 20 banned_in recidive "$ATTACKER" && ok "[recidive] counted both bans across the rotation of f2b-fw.log and bans $ATTACKER" || fail "recidive did not ban"
r "grep -q '\[sshd\] Ban $ATTACKER' /var/log/f2b-fw/f2b-fw.log && ! grep -q '\[sshd\] Ban' /var/log/f2b-fw/f2b-fw.log.1" && ok "after flushlogs the daemon writes to the new f2b-fw.log only" || fail "the daemon kept writing to the rotated file"

note "logrotate -f of /var/log/auth.log in the middle of an attack (rsyslog's own config: create)"
base=$(total_failed lan-sshd)
auth_lines 10 101
r 'logrotate -f /etc/logrotate.d/rsyslog' || fail "logrotate -f /etc/logrotate.d/rsyslog"
auth_lines 10 111
auth_lines 1 200
until_ok 20 failed_is lan-sshd $((base + 21)) && ok "create: 21 lines written around the rotation, 21 counted (none lost, none twice)" || fail "create rotation: counted $(( $(total_failed lan-sshd) - base )) of 21"
note "the same with copytruncate"
r 'printf "/var/log/auth.log {\n  copytruncate\n  rotate 4\n}\n" > /root/auth-copytruncate.conf'
base=$(total_failed lan-sshd)
auth_lines 10 121
# copytruncate itself loses what is written between its copy and its truncate (for every reader); so
# the attack pauses across that instant, and goes on right after it.
until_ok 20 failed_is lan-sshd $((base + 10)) || fail "copytruncate: the first 10 lines were not counted"
r 'logrotate -f -s /root/logrotate.lab.state /root/auth-copytruncate.conf' || fail "logrotate copytruncate"
auth_lines 10 131
auth_lines 1 201
until_ok 20 failed_is lan-sshd $((base + 21)) && ok "copytruncate: 21 lines written around the truncation, 21 counted" || fail "copytruncate rotation: counted $(( $(total_failed lan-sshd) - base )) of 21"

note "systemctl restart nftables (the admin reloads the base ruleset: flush ruleset)"
t=$(ms); r 'systemctl restart nftables'; t1=$(ms)
until_ok 5 in_set sshd "$ATTACKER" || fail "ban not back within 5 s after systemctl restart nftables"
t2=$(ms)
[ $((t2 - t1)) -le 1000 ] && ok "our table and bans back $((t2 - t1)) ms after systemctl restart nftables returned ($((t2 - t)) ms after it began)" || fail "repair took $((t2 - t1)) ms (> 1 s)"
! reach attacker 22 && reach client $FWD_PORT && ok "attacker still cut off, the client's forward works again" || fail "wrong state after nftables restart"

note "systemctl reload f2b-fw with a broken jail.local"
pid=$(r 'systemctl show -p MainPID --value f2b-fw')
r 'cp /etc/f2b-fw/jail.local /root/jail.local.good && printf "\n[broken]\nenabled = true\nmaxretry = lots\n" >> /etc/f2b-fw/jail.local'
line=$(r 'grep -n "^maxretry = lots" /etc/f2b-fw/jail.local | cut -d: -f1')
r 'systemctl reload f2b-fw'
until_ok 10 r "journalctl -u f2b-fw -o cat | grep -q 'jail.local:$line'" && ok "the journal names /etc/f2b-fw/jail.local:$line" || fail "no journal line naming jail.local:$line"
[ "$(r 'systemctl is-active f2b-fw')" = active ] && [ "$(r 'systemctl show -p MainPID --value f2b-fw')" = "$pid" ] && r 'f2b-fw status sshd' >/dev/null && ok "still running (same pid $pid) on the old configuration" || fail "daemon did not survive a broken reload"
r 'cp /root/jail.local.good /etc/f2b-fw/jail.local && systemctl reload f2b-fw'

note "the daemon frozen (SIGSTOP): systemd's watchdog restarts it"
pid=$(r 'systemctl show -p MainPID --value f2b-fw')
r "kill -STOP $pid"
t=$SECONDS
restarted() { p=$(r 'systemctl show -p MainPID --value f2b-fw'); [ "$p" != "$pid" ] && [ "$p" != 0 ] && [ "$(r 'systemctl is-active f2b-fw')" = active ]; }
until_ok 30 restarted && ok "watchdog restarted f2b-fw after $((SECONDS - t)) s (pid $pid -> $p)" || fail "no watchdog restart within 30 s"
r "journalctl -u f2b-fw -o cat | grep -qi 'watchdog timeout'" && ok "the journal says: Watchdog timeout" || fail "no watchdog line in the journal"
bans_intact() { in_set sshd "$ATTACKER" && in_set lan-sshd "$ATTACKER" && banned_in recidive "$ATTACKER"; }
# (READY=1 comes a moment before the control socket listens: `f2b-fw banned` may need a retry.)
until_ok 5 bans_intact && ok "bans intact after the watchdog restart" || fail "bans lost in the watchdog restart"

note "power off the router and boot it again"
t=$SECONDS; power_cycle || fail "router did not come back"
note "router back in $((SECONDS - t)) s"
until_ok 30 r 'test "$(systemctl is-active f2b-fw)" = active' || fail "f2b-fw not active after the boot"
ssh_fail client 22 1
until_ok 20 r "journalctl -b -u f2b-fw -o cat | grep -q 'Found $CLIENT'" || fail "the new failure after the boot was not read"
order=$(r "journalctl -b -u f2b-fw -o cat | grep -n -e 'restored [0-9]* ban' -e 'Found ' | head -n 2")
grep -q '^[0-9]*:.*restored [1-9][0-9]* ban' <<<"$(head -n 1 <<<"$order")" && ok "bans restored before the first new line was read: $(head -n 1 <<<"$order" | grep -o 'restored [0-9]* ban(s)')" || fail "order after the boot: $order"
! reach attacker 22 && ! reach attacker $FWD_PORT && reach client $FWD_PORT && ok "after the boot: attacker cut off on both ports, the client gets through" || fail "wrong state after the boot"

note "scenario done in $((SECONDS - T0)) s"
