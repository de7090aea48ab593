#!/usr/bin/env bash
# Runs the machine lab scenario (test/machine-lab/scenario.sh) on a machine provider:
#   test/machine-lab/run.sh nspawn  DEB    containers on this machine (what `npm test` runs)
#   test/machine-lab/run.sh vagrant DEB    the Vagrantfile's VMs (vagrant up first)
# Exit 0: every step passed; 1: a step failed ("not ok - …"); 77: skipped (the reason is printed).
# Everything the provider created is removed on exit, also on failure or SIGTERM.
set -euo pipefail
PROVIDER=${1:?usage: run.sh nspawn|vagrant DEB}
DEB=$(realpath "${2:?usage: run.sh nspawn|vagrant DEB}")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
# shellcheck source=provider-nspawn.sh
source "test/machine-lab/provider-$PROVIDER.sh"
trap 'lab_down' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
# shellcheck source=scenario.sh
source test/machine-lab/scenario.sh
