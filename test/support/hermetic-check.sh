#!/bin/sh
# Finds tests that are not hermetic (issue 15.4): runs test files inside a
# private mount namespace where the daemon's default paths are fresh tmpfs
# mounts (/var/lib/f2b-fw holding a poison database that no store can open,
# /var/log/f2b-fw and /run/f2b-fw empty), then lists every file that appeared
# there. A fresh /run and /var/lib hold the mount points, so nothing is created
# on the host; everything disappears with the namespace.
# Usage: test/support/hermetic-check.sh dist/test/A.test.js [more…]
set -eu
exec unshare -m --propagation private sh -eu -c '
  for top in /run /var/lib; do mount -t tmpfs hermetic "$top"; done
  mkdir -p /run/f2b-fw /var/lib/f2b-fw /run/netns
  for d in /run/f2b-fw /var/lib/f2b-fw /var/log/f2b-fw; do mount -t tmpfs -o size=1m hermetic "$d"; done
  echo "not a database: a test read the default ban database" > /var/lib/f2b-fw/f2b-fw.sqlite3
  status=0
  node --test --test-concurrency=1 --test-timeout=300000 "$@" || status=$?
  echo "# files under the default paths after the run (only the poison database is expected):"
  find /run/f2b-fw /var/lib/f2b-fw /var/log/f2b-fw -mindepth 1 -printf "#   %p %s bytes\n"
  grep -q "not a database" /var/lib/f2b-fw/f2b-fw.sqlite3 || echo "#   the poison database was overwritten"
  exit $status
' hermetic-check "$@"
