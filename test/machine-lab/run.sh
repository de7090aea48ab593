#!/usr/bin/env bash
# Runs the machine lab scenario (test/machine-lab/scenario.sh) on a machine provider:
#   test/machine-lab/run.sh nspawn  DEB    containers on this machine (what `npm test` runs)
#   test/machine-lab/run.sh vagrant DEB    the Vagrantfile's VMs (vagrant up first)
# Exit 0: every step passed; 1: a step failed ("not ok - …"); 77: skipped (the reason is printed).
# Everything the provider created is removed on exit, also on failure, SIGTERM, SIGINT and SIGHUP
# (then at once: the containers are killed, not powered off). Stop it by signalling its process
# group (it leads one when started with setsid or detached): the signal then also ends the command
# the script is waiting for, so the cleanup starts right away. A run killed with SIGKILL leaves its
# containers to the next run, which removes them first (lab_sweep).
#   F2B_LAB_OWNER=PID   stop (as on SIGTERM) as soon as process PID is gone (the test that started us)
#   F2B_LAB_HOLD=1      boot the machines, print "# held …" and wait for a signal instead of the
#                       scenario (test/machine-lab-cleanup.test.ts)
set -euo pipefail
PROVIDER=${1:?usage: run.sh nspawn|vagrant DEB}
DEB=$(realpath "${2:?usage: run.sh nspawn|vagrant DEB}")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
# shellcheck source=provider-nspawn.sh
source "test/machine-lab/provider-$PROVIDER.sh"
WATCHER= HOLD=
on_exit() {
  for p in $WATCHER $HOLD; do kill "$p" 2>/dev/null || true; done
  lab_down
}
trap on_exit EXIT
for sig in TERM INT HUP; do
  # shellcheck disable=SC2064
  # (the cleanup itself is not interrupted by a second signal)
  trap "LAB_FAST=1; trap '' TERM INT HUP; exit $((128 + $(kill -l $sig)))" "$sig"
done
if [ -n "${F2B_LAB_OWNER:-}" ]; then
  ( while kill -0 "$F2B_LAB_OWNER" 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done
    kill -0 $$ 2>/dev/null && kill -TERM -- -"$(ps -o pgid= $$ | tr -d ' ')" ) </dev/null >/dev/null 2>&1 &
  WATCHER=$!
fi
if [ -n "${F2B_LAB_HOLD:-}" ]; then
  lab_up
  echo "# held $LAB_RUN ${NSPAWN_PID[*]} ${PID1[*]}"
  sleep infinity & HOLD=$!
  wait "$HOLD"
  exit 0
fi
# shellcheck source=scenario.sh
source test/machine-lab/scenario.sh
