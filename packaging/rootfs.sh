#!/usr/bin/env bash
# Prints the path of a Debian 12 root file system with the given packages, built once with
# debootstrap and cached under $F2B_LAB_CACHE (default /var/cache/f2b-fw-lab), keyed by a hash of
# the suite and the package list: a changed list builds a new one, an unchanged one is reused.
# The mirror is the one this machine's apt uses (/etc/apt/sources.list*), read at run time.
#   packaging/rootfs.sh PKG...        (progress on stderr, the path on stdout)
# Exit 5 when debootstrap or a Debian mirror is missing; the last line on stderr then names what.
set -euo pipefail
SUITE=bookworm
CACHE=${F2B_LAB_CACHE:-/var/cache/f2b-fw-lab}

# The first Debian archive (…/debian, not -security) this machine's apt sources name.
mirror() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '(https?|file)://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true
}

command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 5; }
MIRROR=${F2B_LAB_MIRROR:-$(mirror)}
[ -n "$MIRROR" ] || { echo "no Debian mirror in /etc/apt/sources.list* (set F2B_LAB_MIRROR)" >&2; exit 5; }

BASE=systemd,systemd-sysv,dbus
EXTRA=$(printf '%s\n' "$@" | sort -u | paste -sd' ' -)
KEY=$(printf '%s %s %s\n' "$SUITE" "$BASE" "$EXTRA" | sha256sum | cut -c1-16)
ROOT=$CACHE/$SUITE-$KEY
if [ -f "$ROOT/.complete" ]; then echo "$ROOT"; exit 0; fi

mkdir -p "$CACHE"
# One build per root at a time (another list builds meanwhile).
exec 9>"$ROOT.lock"
flock 9
# drop_tmp: the half-built tree and what debootstrap mounted in it (/proc, /sys: a build killed
# with SIGKILL leaves them mounted, so the next build, holding the lock, unmounts them first).
drop_tmp() {
  local m
  for m in $(grep -o " $ROOT.tmp/[^ ]*" /proc/self/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$ROOT.tmp"
}
trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP
trap '[ -f "$ROOT/.complete" ] || drop_tmp' EXIT
if [ ! -f "$ROOT/.complete" ]; then
  drop_tmp
  echo "rootfs: debootstrap $SUITE ($BASE) + apt-get install $EXTRA (once; cached in $ROOT)" >&2
  start=$SECONDS
  LOG=$ROOT.log
  failed() {
    tail -n 5 "$LOG" | sed 's/^/  /' >&2
    echo "$1 from the Debian mirror $MIRROR failed (log: $LOG)" >&2
    exit 5
  }
  debootstrap --variant=minbase --include="$BASE" "$SUITE" "$ROOT.tmp" "$MIRROR" > "$LOG" 2>&1 || failed debootstrap
  # The rest through apt (debootstrap's resolver does not follow alternatives); no service starts meanwhile.
  if [ -n "$EXTRA" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$ROOT.tmp/usr/sbin/policy-rc.d"; chmod 755 "$ROOT.tmp/usr/sbin/policy-rc.d"
    # shellcheck disable=SC2086
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 systemd-nspawn --register=no --keep-unit -q -D "$ROOT.tmp" --setenv=DEBIAN_FRONTEND=noninteractive -- \
      sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $EXTRA && apt-get clean" >> "$LOG" 2>&1 || failed "apt-get install $EXTRA"
    rm -f "$ROOT.tmp/usr/sbin/policy-rc.d"
  fi
  # Each boot of a copy makes its own machine id.
  : > "$ROOT.tmp/etc/machine-id"
  rm -rf "$ROOT.tmp/var/lib/apt/lists/"*_Packages "$ROOT.tmp/var/cache/apt/"*.bin
  printf '%s\n' "$BASE $EXTRA" > "$ROOT.tmp/.packages"
  touch "$ROOT.tmp/.complete"
  mv "$ROOT.tmp" "$ROOT"
  echo "rootfs: built in $((SECONDS - start)) s" >&2
fi
echo "$ROOT"
