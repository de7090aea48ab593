# Machine provider for test/machine-lab/scenario.sh: booted Debian 12 containers (systemd-nspawn)
# in network namespaces of our own, on this machine. Sourced by run.sh; defines the provider
# interface the scenario uses:
#   lab_up            build the topology and boot the router and the LAN host
#   on HOST CMD       run a shell command as root on router, lan, attacker or client
#   put HOST SRC DST  copy a file from here onto HOST
#   power_cycle       power the router off and boot it again (same disk)
#   lab_down          remove everything (containers, mounts, namespaces, files); also on failure
#   lab_sweep         remove what runs that died without lab_down left (run by lab_up)
#
#   attacker 198.51.100.2 ──wan0── router ──lan0── lan 192.0.2.10 (sshd)
#   client   203.0.113.2  ──wan1──   :22, DNAT :2222 → 192.0.2.10:22
#
# Needs root, systemd-nspawn, nsenter, debootstrap and a Debian mirror (packaging/rootfs.sh); a
# missing one exits 77 naming it (the test reports that as its skip reason).

ROUTER_ADDR=198.51.100.1
ATTACKER=198.51.100.2
CLIENT=203.0.113.2
ROUTER_LAN=192.0.2.1
LAN_ADDR=192.0.2.10
# The scenario's extra attacker addresses for counting (one failure each).
# Everything a run makes is named by its run.sh's pid: netns $LAB_TAG-*, the dir $LAB_RUN with the
# owner's "pid starttime" in $LAB_RUN/owner and each container's nspawn and init pids in
# $LAB_RUN/HOST/pids, so a later run can tell a dead run's leftovers from a live run's (lab_sweep).
LAB_TAG=f2bml$$
LAB_RUN=/tmp/$LAB_TAG
BOOT_TIMEOUT=${BOOT_TIMEOUT:-30}
declare -A NSPAWN_PID=() PID1=()
# What this provider must change in f2b-fw.service (after the scenario measured the shipped unit):
# nothing of its sandbox, only the boot id the service sees. systemd-nspawn gives the container a
# boot id of its own by mounting a file over /proc/sys/kernel/random/boot_id, and journald stamps
# every entry with it. ProtectProc=, ProtectKernelTunables= and ProtectControlGroups= each make
# systemd mount a fresh procfs for the service (the other options bind the container's /proc), and a
# fresh procfs shows the kernel's boot id: journalctl in the service then finds no entry at all
# (`journalctl -n 3` prints nothing, `--follow` nothing new, though `--list-boots` lists the boot).
# Measured in the lab container with systemd-run; binding the container's boot id back over the
# fresh /proc's makes all three work. So the service keeps its whole sandbox and gets the container's
# boot id: a tmpfiles.d line copies it to /run at every boot (nspawn's own file is unlinked, so it
# cannot be bound itself; an ExecStartPre=+ copy fails once the bind exists, as systemd 252 still sets
# up the bind for a "+" command), and the drop-in binds that copy over the fresh /proc's. A VM has
# one boot id for everything: the VM provider runs the unit unchanged, and so does any machine that
# is not a container (README: "Inside a systemd-nspawn container").
LAB_UNIT_SETUP='echo "C /run/f2b-fw.boot_id - - - - /proc/sys/kernel/random/boot_id" > /etc/tmpfiles.d/f2b-fw-boot-id.conf && systemd-tmpfiles --create /etc/tmpfiles.d/f2b-fw-boot-id.conf'
LAB_UNIT_DROPIN='BindReadOnlyPaths=/run/f2b-fw.boot_id:/proc/sys/kernel/random/boot_id'

need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed ($2)"; exit 77; }; }

lab_up() {
  [ "$(id -u)" = 0 ] || { echo "SKIP: the machine lab needs root (containers and network namespaces)"; exit 77; }
  need systemd-nspawn "apt-get install systemd-container"
  need nsenter "util-linux"
  need sshpass "apt-get install sshpass"
  need ssh "apt-get install openssh-client"
  local rc=0 why
  why=$(mktemp)
  # shellcheck disable=SC2046
  ROOTFS=$("$REPO/packaging/rootfs.sh" $(grep -v '^#' "$REPO/packaging/lab-packages") 2>"$why") || rc=$?
  cat "$why" >&2
  if [ "$rc" = 5 ]; then echo "SKIP: no Debian 12 root file system: $(tail -n 1 "$why")"; rm -f "$why"; exit 77; fi
  rm -f "$why"
  [ "$rc" = 0 ] || return "$rc"
  lab_sweep
  mkdir -p "$LAB_RUN"
  echo "$$ $(starttime $$)" > "$LAB_RUN/owner"
  for ns in attacker client router lan; do ip netns add "$LAB_TAG-$ns"; ip -n "$LAB_TAG-$ns" link set lo up; done
  wire router wan0 "$ROUTER_ADDR/24" attacker eth0 "$ATTACKER/24"
  wire router wan1 203.0.113.1/24 client eth0 "$CLIENT/24"
  wire router lan0 "$ROUTER_LAN/24" lan eth0 "$LAN_ADDR/24"
  ip -n "$LAB_TAG-attacker" route add default via "$ROUTER_ADDR"
  ip -n "$LAB_TAG-client" route add default via 203.0.113.1
  ip -n "$LAB_TAG-lan" route add default via "$ROUTER_LAN"
  ip netns exec "$LAB_TAG-router" sysctl -q -w net.ipv4.ip_forward=1
  for h in router lan; do disk "$h"; boot "$h"; done
}

# wire HOST_A IF_A ADDR_A HOST_B IF_B ADDR_B: a veth pair created straight into two namespaces.
wire() {
  ip link add name "$2" netns "$LAB_TAG-$1" type veth peer name "$5" netns "$LAB_TAG-$4"
  ip -n "$LAB_TAG-$1" addr add "$3" dev "$2"; ip -n "$LAB_TAG-$1" link set "$2" up
  ip -n "$LAB_TAG-$4" addr add "$6" dev "$5"; ip -n "$LAB_TAG-$4" link set "$5" up
}

# disk HOST: the machine's own disk, an overlay on the cached root file system (kept across boots).
disk() {
  local d=$LAB_RUN/$1
  mkdir -p "$d/upper" "$d/work" "$d/root"
  mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$d/upper,workdir=$d/work" "$d/root"
  echo "$1" > "$d/root/etc/hostname"
  systemd-id128 new > "$d/root/etc/machine-id"
  mkdir -p "$d/root/var/log/journal"
}

# boot HOST: systemd-nspawn -b in the machine's network namespace (CAP_NET_ADMIN, which nspawn grants
# only with its own --private-network: the router's nftables.service and f2b-fw need it); waits until systemd is up (BOOT_TIMEOUT s).
boot() {
  local h=$1 d=$LAB_RUN/$1 start=$SECONDS
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 setsid systemd-nspawn --register=no --keep-unit -q --console=passive --setenv=SYSTEMD_COLORS=0 \
    --capability=CAP_NET_ADMIN --machine="$LAB_TAG-$h" --network-namespace-path="/run/netns/$LAB_TAG-$h" -D "$d/root" -b \
    </dev/null >>"$d/console.log" 2>&1 &
  NSPAWN_PID[$h]=$!
  PID1[$h]=
  echo "${NSPAWN_PID[$h]} $(starttime "${NSPAWN_PID[$h]}")" > "$d/pids"
  while [ $((SECONDS - start)) -lt "$BOOT_TIMEOUT" ]; do
    local p
    for p in $(pgrep -P "${NSPAWN_PID[$h]}" 2>/dev/null); do
      grep -qE '^NSpid:\s+[0-9]+\s+1$' "/proc/$p/status" 2>/dev/null && PID1[$h]=$p
    done
    if [ -n "${PID1[$h]}" ]; then
      grep -q "^${PID1[$h]} " "$d/pids" || echo "${PID1[$h]} $(starttime "${PID1[$h]}")" >> "$d/pids"
      local state
      state=$(nsenter -t "${PID1[$h]}" -a systemctl is-system-running 2>/dev/null || true)
      case "$state" in
        running|degraded) echo "  $h booted ($state) in $((SECONDS - start)) s"; return 0 ;;
      esac
    fi
    kill -0 "${NSPAWN_PID[$h]}" 2>/dev/null || break
    sleep 0.2
  done
  # nspawn writes the console to its output only as it ends: the container is stopped first.
  LAB_FAST=1 halt "$h"
  echo "FAILED: $h did not boot within $BOOT_TIMEOUT s; its console:" >&2
  tail -n 60 "$d/console.log" >&2
  return 1
}

on() {
  local h=$1; shift
  case "$h" in
    # A clean environment: nothing of this machine's (NODE_*, proxies, locale) leaks into the container.
    router|lan) nsenter -t "${PID1[$h]}" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root /bin/sh -c "$*" ;;
    attacker|client) ip netns exec "$LAB_TAG-$h" /bin/sh -c "$*" ;;
  esac
}

put() { cp "$2" "$LAB_RUN/$1/root$3"; }

# starttime PID: the process's start time (field 22 of /proc/PID/stat), which a reused pid does not share.
starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
# same_process PID START: is PID still the process that started at START?
same_process() { [ -n "$2" ] && [ "$(starttime "$1")" = "$2" ]; }

# halt HOST: clean poweroff, waited for (nspawn exits when the container's systemd is done). With
# LAB_FAST set (a run stopped by a signal) the container's init is killed instead: that ends every
# process of the container at once, and nspawn exits right after.
halt() {
  local h=$1 pid=${NSPAWN_PID[$1]:-}
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    if [ -n "${LAB_FAST:-}" ] && [ -n "${PID1[$h]}" ]; then
      kill -KILL "${PID1[$h]}" 2>/dev/null || true
    else
      [ -n "${PID1[$h]}" ] && nsenter -t "${PID1[$h]}" -a systemctl poweroff 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    [ -n "${PID1[$h]}" ] && kill -KILL "${PID1[$h]}" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  NSPAWN_PID[$h]=
}

# A real power-off also empties the kernel's ruleset; the router's network namespace outlives the
# container, so it is emptied here before the next boot.
power_cycle() { halt router && ip netns exec "$LAB_TAG-router" nft flush ruleset && boot router; }

# remove_run DIR TAG: kills the containers recorded in DIR/*/pids (init first: that ends the whole
# container), unmounts their disks, deletes the namespaces TAG-* and DIR. Only for a run that is not
# running (lab_down's own, or a dead one's).
remove_run() {
  local dir=$1 tag=$2 f pid start ns left m
  for f in "$dir"/*/pids; do
    [ -f "$f" ] || continue
    while read -r pid start; do
      if same_process "$pid" "$start"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done < <(tac "$f")
  done
  for _ in $(seq 100); do
    left=
    for f in "$dir"/*/pids; do
      [ -f "$f" ] || continue
      while read -r pid start; do
        if same_process "$pid" "$start"; then left=1; fi
      done < "$f"
    done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for m in $(grep -o " $dir/[^ ]*" /proc/self/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$tag-"); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
  [ -n "${LAB_KEEP:-}" ] || rm -rf "$dir"
}

# lab_sweep: removes the leftovers of runs whose run.sh is gone (killed with SIGKILL, or its machine
# lost power): their dirs /tmp/f2bmlPID, and namespaces f2bmlPID-* whose run has no dir left.
# A live run's things (its owner process still the one that wrote the owner file) stay.
lab_sweep() {
  local d pid start tag ns
  for d in /tmp/f2bml[0-9]*; do
    [ -d "$d" ] || continue
    tag=${d#/tmp/}
    [ "$tag" = "$LAB_TAG" ] && continue
    read -r pid start < "$d/owner" 2>/dev/null || { pid=${tag#f2bml}; start=; }
    if [ -n "$start" ] && same_process "$pid" "$start"; then continue; fi
    if [ -z "$start" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    echo "# sweeping $d (its run.sh $pid is gone)"
    remove_run "$d" "$tag"
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^f2bml[0-9]+-'); do
    tag=${ns%%-*}
    pid=${tag#f2bml}
    if [ "$tag" = "$LAB_TAG" ] || [ -d "/tmp/$tag" ] || kill -0 "$pid" 2>/dev/null; then continue; fi
    echo "# sweeping namespace $ns (its run.sh $pid is gone)"
    remove_run "/tmp/$tag" "$tag"
  done
}

lab_down() {
  for h in router lan; do halt "$h"; done
  remove_run "$LAB_RUN" "$LAB_TAG"
}
