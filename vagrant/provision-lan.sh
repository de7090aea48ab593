#!/usr/bin/env bash
# lan (192.0.2.10): a web server on port 80, reached from outside only through the router's
# forward of tcp/8080. Replies to the outside network go back through the router.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
echo 'lan web server (192.0.2.10)' > /var/www/html/index.html
systemctl enable --now nginx

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
