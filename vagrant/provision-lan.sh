#!/usr/bin/env bash
# lan (192.0.2.10): an sshd reached from outside only through the router's forward of tcp/2222; its
# auth log goes to the router over syslog (the scenario configures rsyslog). Replies to the outside
# network go back through the router.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server rsyslog >/dev/null
systemctl enable --now ssh rsyslog

# Route to the outside network through the router, now and at every boot.
cat > /etc/systemd/system/lab-route.service <<'UNIT'
[Unit]
Description=router lab: route 198.51.100.0/24 via the router
After=network-online.target
Wants=network-online.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip route replace 198.51.100.0/24 via 192.0.2.254
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now lab-route.service
