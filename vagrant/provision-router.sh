#!/usr/bin/env bash
# router (198.51.100.254 outside, 192.0.2.254 lan): what an admin's Debian 12 router has. The machine
# lab scenario (test/machine-lab/run.sh vagrant DEB) installs f2b-fw from the .deb with apt and sets
# up the rest (nftables.service's ruleset, rsyslog's remote input, the jails), exactly as it does on
# the nspawn containers in `npm test`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nodejs (Debian's 18) and libnftables1 are what the package depends on; installed now so that
# `apt-get install ./f2b-fw_*.deb` needs no network later.
apt-get install -y -qq --no-install-recommends \
  nftables libnftables1 nodejs iproute2 netbase rsyslog logrotate openssh-server procps >/dev/null
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-lab-forward.conf
sysctl -q --system
