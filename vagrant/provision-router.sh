#!/usr/bin/env bash
# router (198.51.100.254 outside, 192.0.2.254 lan): forwards tcp/8080 to lan:80, logs port scans as
# "[UFW BLOCK]" kernel lines, and runs f2b-fw from the synced folder as its systemd service with
# an sshd jail and a ufw-port-scan jail.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
LAB_BANTIME=${LAB_BANTIME:-90}

apt-get update -qq
# rsyslog: /var/log/auth.log and /var/log/kern.log, the files the jails read.
apt-get install -y -qq --no-install-recommends \
  nftables libnftables1 iproute2 rsyslog openssh-server ca-certificates curl gnupg \
  python3 make g++ rsync >/dev/null

# Node.js 20 (Debian 12 ships 18): NodeSource's signed repository.
if ! node --version 2>/dev/null | grep -q '^v2[0-9]'; then
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo 'deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main' \
    > /etc/apt/sources.list.d/nodesource.list
  apt-get update -qq
  apt-get install -y -qq nodejs >/dev/null
fi

# Routing and the lab's own firewall: DNAT 8080 -> lan:80, and scanned ports logged the way ufw does.
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-lab-forward.conf
sysctl -q --system
OUT_IF=$(ip -o -4 addr show to 198.51.100.254 | cut -d' ' -f2)
sed "s/^define OUT_IF = .*/define OUT_IF = \"$OUT_IF\"/" /vagrant/vagrant/router-nftables.conf > /etc/nftables.conf
systemctl enable nftables
systemctl restart nftables

# f2b-fw from the synced checkout, built in place.
rsync -a --delete --exclude node_modules --exclude 'dist*' /vagrant/ /opt/f2b-fw/
cd /opt/f2b-fw
npm ci --no-fund --no-audit
npm run build
chmod +x dist/src/cli/main.js
ln -sf /opt/f2b-fw/dist/src/cli/main.js /usr/local/bin/f2b-fw

install -d -m 0755 /etc/f2b-fw
install -m 0644 /vagrant/vagrant/jail.local /etc/f2b-fw/jail.local
sed -i "s/^bantime  = .*/bantime  = ${LAB_BANTIME}/" /etc/f2b-fw/jail.local

install -m 0644 /opt/f2b-fw/systemd/f2b-fw.service /etc/systemd/system/f2b-fw.service
systemctl daemon-reload
systemctl enable f2b-fw
systemctl restart f2b-fw
systemctl --no-pager status f2b-fw | head -5
