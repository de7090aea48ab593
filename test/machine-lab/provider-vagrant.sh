# Machine provider for test/machine-lab/scenario.sh on the Vagrantfile's VMs (VirtualBox or
# libvirt): the same interface as provider-nspawn.sh (lab_up, on, put, power_cycle, lab_down).
# `vagrant up` first; the machines are left running afterwards (`vagrant destroy -f` removes them).
#   attacker 198.51.100.2 (+ .3, the other client) ── router 198.51.100.254 / 192.0.2.254 ── lan 192.0.2.10

ROUTER_ADDR=198.51.100.254
ATTACKER=198.51.100.2
CLIENT=198.51.100.3
ROUTER_LAN=192.0.2.254
LAN_ADDR=192.0.2.10
# The unit runs as shipped on a VM.
LAB_UNIT_SETUP=
LAB_UNIT_DROPIN=

lab_up() {
  command -v vagrant >/dev/null || { echo "SKIP: vagrant is not installed"; exit 77; }
  local state
  state=$(vagrant status --machine-readable 2>/dev/null | awk -F, '$3 == "state" {print $2 "=" $4}' | sort | paste -sd' ' -)
  case "$state" in
    *attacker=running*lan=running*router=running*) ;;
    *) echo "SKIP: the Vagrant machines are not running ($state); run vagrant up"; exit 77 ;;
  esac
}

# on HOST CMD: as root on a VM; the attacker VM plays both the attacker and the client (two addresses).
on() {
  local h=$1; shift
  [ "$h" = client ] && h=attacker
  vagrant ssh "$h" -c "sudo sh -c $(printf '%q' "$*")" -- -q -o LogLevel=ERROR
}

put() { vagrant upload "$2" "/tmp/$(basename "$3")" "$1" >/dev/null && on "$1" "mv /tmp/$(basename "$3") $3"; }

power_cycle() { vagrant reload router >/dev/null; }

lab_down() { :; }
