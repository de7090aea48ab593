#!/usr/bin/env bash
# attacker (198.51.100.2): ssh with sshpass (wrong passwords) and netcat for the attack,
# and a second address 198.51.100.3 that plays "another client" and must never be banned.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-client sshpass netcat-openbsd >/dev/null

cat > /etc/systemd/system/lab-client2.service <<'UNIT'
[Unit]
Description=router lab: second client address 198.51.100.3
After=network-online.target
Wants=network-online.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip addr replace 198.51.100.3/24 dev "$(ip -o -4 addr show to 198.51.100.2 | cut -d" " -f2)"'
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now lab-client2.service
