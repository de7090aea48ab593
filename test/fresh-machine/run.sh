#!/usr/bin/env bash
# The README's quick start on a fresh Debian 12 machine, for real: a booted systemd-nspawn container
# made from a minimal debootstrap (minbase + systemd, dbus, ca-certificates, git: no node, no build
# tools), the repository `git clone`d into it, then the README's two commands run as root exactly as
# written, twice each. The second run must install nothing. Not part of `npm test` (it runs the
# whole suite inside the container, the machine lab nested in it: over an hour on 2 shared cores).
#   test/fresh-machine/run.sh [REF]      REF: the commit to clone (default HEAD of this checkout)
#   FRESH_CMD='…' test/fresh-machine/run.sh   runs only that command on the booted fresh machine
# Prints each command's output and wall time; the log and timings go to $FRESH_OUT (default
# /var/tmp/f2b-fw-fresh.log). Exit 0 when every command passed and the second runs installed nothing.
#
# The container has a network namespace of its own and no route out. It reaches the registries the
# way this machine does: the names in REGISTRY_HOSTS resolve (dnsmasq in that namespace, answering
# only those names with the addresses this machine resolves them to), and a TCP connection to such
# an address on port 80 or 443 is relayed by socat through a Unix socket to the same address from
# this machine's namespace. Nothing touches this machine's firewall or routes.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
REF=${1:-HEAD}
OUT=${FRESH_OUT:-/var/tmp/f2b-fw-fresh.log}
REGISTRY_HOSTS=${REGISTRY_HOSTS:-"deb.debian.org registry.npmjs.org"}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-30}
TAG=f2bfm$$
RUN=/var/tmp/$TAG
[ "$(id -u)" = 0 ] || { echo "fresh-machine: run as root" >&2; exit 5; }
say() { printf 'fresh-machine: %s\n' "$*" | tee -a "$OUT" >&2; }
: > "$OUT"

tools=""
command -v systemd-nspawn >/dev/null || tools="$tools systemd-container"
command -v debootstrap >/dev/null || tools="$tools debootstrap"
command -v socat >/dev/null || tools="$tools socat"
command -v dnsmasq >/dev/null || tools="$tools dnsmasq-base"
if [ -n "$tools" ]; then
  say "installing Debian packages on this machine:$tools"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 $tools >/dev/null
fi

# Every long command runs in the background, waited for with `wait`: bash runs a trap only once the
# foreground command has ended, and `wait` returns at once on a signal. JOB is that command (the
# leader of a process group of its own, started with setsid), ended by the cleanup.
NSPAWN_PID= PID1= JOB= FAST=
# bg CMD…: runs CMD as JOB and waits for it; its exit status. A shell function runs in a subshell.
bg() {
  if declare -F "$1" >/dev/null; then ( "$@" ) & else setsid "$@" & fi
  JOB=$!; local rc=0; wait "$JOB" || rc=$?; JOB=; return "$rc"
}
# stop_machine: powers the container off (FAST set: kills its init, and with it all of it, at once).
stop_machine() {
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    if [ -n "$FAST" ] && [ -n "$PID1" ]; then
      kill -KILL "$PID1" 2>/dev/null || true
    else
      kill -TERM "$NSPAWN_PID" # nspawn powers the container off on SIGTERM
    fi
    for _ in $(seq 300); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  NSPAWN_PID=
}
cleanup() {
  set +e
  trap '' TERM INT HUP   # the cleanup itself is not interrupted
  stop_machine
  # The command waited for (a step's nsenter ends with the container; the root file system's build
  # is ended with its debootstrap, and removes its half-built tree).
  if [ -n "$JOB" ]; then kill -TERM -- -"$JOB" 2>/dev/null || kill -TERM "$JOB" 2>/dev/null; wait "$JOB" 2>/dev/null; fi
  # The relays and dnsmasq: every process whose pid file is ours.
  for f in "$RUN"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  wait 2>/dev/null
  # Mounts under our run dir (the container's own nested ones first), then the overlay.
  for _ in 1 2 3; do
    grep -o " $RUN/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  done
  ip netns delete "$TAG" 2>/dev/null
  [ -n "${FRESH_KEEP:-}" ] || rm -rf "$RUN"
}
trap cleanup EXIT
trap 'FAST=1; exit 143' TERM
trap 'FAST=1; exit 130' INT
trap 'FAST=1; exit 129' HUP

# The fresh machine's disk: an overlay on a cached minimal debootstrap (packaging/rootfs.sh adds
# ca-certificates and git to its minbase + systemd, systemd-sysv, dbus; built once, ~2-6 min).
mkdir -p "$RUN/upper" "$RUN/work" "$RUN/root"
rc=0; bg "$REPO/packaging/rootfs.sh" ca-certificates git > "$RUN/rootfs" 2> "$RUN/rootfs.err" || rc=$?
tee -a "$OUT" < "$RUN/rootfs.err" >&2
[ "$rc" = 0 ] || { say "cannot run: no Debian 12 root file system: $(tail -n 1 "$RUN/rootfs.err")"; exit "$rc"; }
ROOTFS=$(cat "$RUN/rootfs")
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$RUN/upper,workdir=$RUN/work" "$RUN/root"
R=$RUN/root
echo fresh > "$R/etc/hostname"
systemd-id128 new > "$R/etc/machine-id"
printf '127.0.0.1 localhost\n127.0.1.1 fresh\n::1 localhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
# apt: this machine's Debian sources (a fresh install names the same archives), none of debootstrap's.
rm -f "$R/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$R/etc/apt/sources.list.d/" 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$R/etc/apt/sources.list"
grep -l '^Acquire::Check-Valid-Until' /etc/apt/apt.conf.d/* 2>/dev/null | xargs -r cp -t "$R/etc/apt/apt.conf.d/"
# TLS: the certificate authorities this machine trusts beyond Debian's (the registries may be reached
# through a TLS-inspecting gateway whose CA is one of them), added to the container's store at boot,
# and the environment variables that point programs at that store (NODE_EXTRA_CA_CERTS: the node
# that ./run fetches trusts only its own bundled CAs otherwise).
mkdir -p "$R/usr/local/share/ca-certificates"
cp -r /usr/local/share/ca-certificates/. "$R/usr/local/share/ca-certificates/" 2>/dev/null || true
TRUST_ENV=()
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE GIT_SSL_CAINFO; do
  [ -n "${!v:-}" ] && TRUST_ENV+=("$v=${!v}")
done
# The source: a bare repository with REF as its only branch, cloned inside over file://.
git init -q --bare "$RUN/src.git"
git -C "$REPO" push -q "$RUN/src.git" "$REF:refs/heads/main"
git -C "$RUN/src.git" symbolic-ref HEAD refs/heads/main
say "cloning $(git -C "$REPO" rev-parse --short "$REF") ($(git -C "$REPO" log -1 --format=%s "$REF" | cut -c1-60)…)"

# The network: a namespace with loopback only, the registry addresses on lo, relayed out.
ip netns add "$TAG"
ip -n "$TAG" link set lo up
records=""
for h in $REGISTRY_HOSTS; do
  a=$(getent ahostsv4 "$h" | awk 'NR==1{print $1}')
  [ -n "$a" ] || { say "$h does not resolve on this machine"; exit 5; }
  records="$records --host-record=$h,$a"
  ip -n "$TAG" addr add "$a/32" dev lo 2>/dev/null || true   # the same address for several names is fine
done
for a in $(ip -n "$TAG" -4 -o addr show dev lo | awk '{print $4}' | cut -d/ -f1 | grep -v '^127\.'); do
  for port in 80 443; do
    sock=$RUN/relay-$a-$port.sock
    socat "UNIX-LISTEN:$sock,fork" "TCP:$a:$port" & echo $! > "$RUN/out-$a-$port.pid"
    ip netns exec "$TAG" socat "TCP-LISTEN:$port,bind=$a,fork,reuseaddr" "UNIX-CONNECT:$sock" & echo $! > "$RUN/in-$a-$port.pid"
  done
done
# shellcheck disable=SC2086
ip netns exec "$TAG" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
  --user=root --pid-file= $records & echo $! > "$RUN/dnsmasq.pid"
echo 'nameserver 127.0.0.1' > "$R/etc/resolv.conf"

# Boot it: all capabilities (the suite makes network namespaces, nftables, and the machine lab boots
# containers of its own inside, which needs mount and the cgroup file system).
say "booting the fresh machine"
# SYSTEMD_NSPAWN_API_VFS_WRITABLE: /proc/sys and /sys writable, as on a machine (nspawn mounts them
# read-only, and the demo and tests set sysctls such as net.ipv4.ip_forward in their namespaces).
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 setsid systemd-nspawn --register=no --keep-unit -q --console=passive --setenv=SYSTEMD_COLORS=0 \
  --capability=all --system-call-filter='@mount @keyring @clock @module @raw-io @swap @reboot @obsolete @cpu-emulation @privileged' \
  --resolv-conf=off --network-namespace-path="/run/netns/$TAG" --bind-ro="$RUN/src.git:/srv/f2b-fw.git" \
  -D "$R" -b </dev/null >>"$RUN/console.log" 2>&1 &
NSPAWN_PID=$!
PID1=
start=$SECONDS
while [ $((SECONDS - start)) -lt "$BOOT_TIMEOUT" ]; do
  for p in $(pgrep -P "$NSPAWN_PID" 2>/dev/null); do grep -qE '^NSpid:\s+[0-9]+\s+1$' "/proc/$p/status" 2>/dev/null && PID1=$p; done
  if [ -n "$PID1" ]; then
    case "$(nsenter -t "$PID1" -a systemctl is-system-running 2>/dev/null || true)" in running|degraded) break ;; esac
  fi
  kill -0 "$NSPAWN_PID" 2>/dev/null || break
  sleep 0.5
done
case "$( [ -n "$PID1" ] && nsenter -t "$PID1" -a systemctl is-system-running 2>/dev/null)" in
  running|degraded) ;;
  *) # nspawn writes the console to its output only as it ends: the container is stopped first.
    FAST=1; stop_machine
    say "the fresh machine did not boot within $BOOT_TIMEOUT s; its console:"; tail -n 60 "$RUN/console.log" | tee -a "$OUT" >&2; exit 1 ;;
esac
say "booted in $((SECONDS - start)) s"

# inside CMD: as a root login on the fresh machine: a login's environment (nothing of this machine's
# leaks in) and a scope unit of the container's systemd (as a login session has), so the process
# lives in the container's cgroup tree: a process merely entered with nsenter stays in this
# machine's cgroup, outside the container's, and a nested systemd-nspawn --keep-unit then fails
# ("Failed to create /../payload subcgroup").
inside() {
  nsenter -t "$PID1" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb "${TRUST_ENV[@]}" systemd-run --quiet --scope --collect -- /bin/bash -c "cd /root && $1"
}
# step_run CMD LOG: CMD inside; its output to LOG, the log and the terminal; CMD's exit status.
step_run() { inside "$1" 2>&1 | tee "$2" | tee -a "$OUT"; }
# step NAME CMD: runs CMD inside, timed; its output to the log and the terminal.
failed=0
step() {
  local t0=$SECONDS rc log=$RUN/step-${1//[^a-z0-9]/}.log
  say "== $1: $2"
  rc=0; bg step_run "$2" "$log" || rc=$?
  say "== $1: exit $rc in $((SECONDS - t0)) s"
  [ "$rc" = 0 ] || failed=1
  if [[ $1 == *'#2' ]] && grep -q '^\./run: installing' "$log"; then say "$1 installed something: the second run must not"; failed=1; fi
  return 0
}
inside 'update-ca-certificates >/dev/null 2>&1; ls /usr/local/share/ca-certificates | paste -sd" " | sed "s/^/CAs added: /"; command -v node npm gcc make python3 nft socat 2>&1; echo "node: $(node --version 2>&1)"' | sed 's/^/fresh-machine: before: /' | tee -a "$OUT" >&2 || true
if [ -n "${FRESH_CMD:-}" ]; then step probe "$FRESH_CMD"; exit "$failed"; fi
step clone 'git clone -q file:///srv/f2b-fw.git f2b-fw && git -C f2b-fw log -1 --oneline'
for round in 1 2; do
  step "demo #$round" 'cd f2b-fw && ./run demo'
  step "test #$round" 'cd f2b-fw && ./run test'
done
say "summary (each line './run: installing …' is something a run installed):"
grep -E '^(fresh-machine: == |./run: |# (tests|pass|fail|skipped|duration_ms) )' "$OUT" | grep -v ': == .*: cd ' >&2 || true
[ "$failed" = 0 ]
