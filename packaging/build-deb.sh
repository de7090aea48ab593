#!/usr/bin/env bash
# Builds f2b-fw_<version>_<arch>.deb (`npm run package`; dpkg-deb, no debhelper):
#   /usr/lib/f2b-fw        the program bundled by esbuild (dist/bundle), package.json and the production node_modules
#   /usr/bin/f2b-fw        runs it with Debian's /usr/bin/node
#   /usr/share/f2b-fw/rules  the shipped jail.conf and filters (/usr/lib/f2b-fw/rules links there)
#   /lib/systemd/system/f2b-fw.service, /etc/f2b-fw/{jail.local,f2b-fw.conf}, /etc/logrotate.d/f2b-fw
#   man pages f2b-fw(8), f2b-fw.conf(5) from the commands' --help and docs/configuration.md
# better-sqlite3 is compiled against Debian 12's nodejs 18 (ABI 108) inside the lab's Debian 12
# root file system (packaging/rootfs.sh), not against the node running this script; koffi
# is an N-API module whose shipped prebuilt binary fits any Node >= 18.
#   packaging/build-deb.sh [OUTDIR]     (default: the repository root); prints the .deb's path
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUTDIR=$(realpath "${1:-$REPO}")
CACHE=${F2B_LAB_CACHE:-/var/cache/f2b-fw-lab}
say() { printf 'package: %s\n' "$*" >&2; }

VERSION=$(node -p "require('./package.json').version")
ARCH=$(dpkg --print-architecture)
case "$ARCH" in
  amd64) NODE_ARCH=x64 ;; arm64) NODE_ARCH=arm64 ;; armhf) NODE_ARCH=arm ;; i386) NODE_ARCH=ia32 ;;
  *) echo "package: unsupported architecture $ARCH" >&2; exit 5 ;;
esac
WORK=$(mktemp -d /tmp/f2b-fw-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP
PKG=$WORK/pkg
LIB=$PKG/usr/lib/f2b-fw
DOC=$PKG/usr/share/doc/f2b-fw

# Compiled into a tree of its own, never into the repository's dist/: `npm test` runs this script
# (the machine lab) while other test files load dist/, and tsc rewrites files in place. The tree
# links what the build reads through PACKAGE_ROOT (docs/, rules/, package.json, node_modules).
# The tsc tree only type-checks and writes the man pages; the package ships the bundle.
say "compiling (tsc, esbuild)"
BUILD=$WORK/root
mkdir -p "$BUILD"
ln -s "$REPO/package.json" "$REPO/docs" "$REPO/rules" "$REPO/node_modules" "$BUILD/"
npx tsc -p . --outDir "$BUILD/dist"
mkdir -p "$LIB/dist" "$PKG/usr/bin" "$PKG/usr/share/f2b-fw" "$PKG/lib/systemd/system" "$PKG/etc/f2b-fw" \
  "$PKG/etc/logrotate.d" "$PKG/usr/share/man/man8" "$PKG/usr/share/man/man5" "$DOC" "$PKG/DEBIAN"
cp package.json package-lock.json "$LIB/"
packaging/bundle.sh "$LIB/dist/bundle"
find "$LIB/dist" -name '*.map' -delete

say "production node_modules (npm ci --omit=dev)"
(cd "$LIB" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
rm -f "$LIB/package-lock.json"

# better-sqlite3 for Debian's nodejs, built once per module version and root file system.
ROOTFS=$(packaging/rootfs.sh $(grep -v '^#' packaging/lab-packages))
SQLITE_VERSION=$(node -p "require('$LIB/node_modules/better-sqlite3/package.json').version")
ADDON=$CACHE/better-sqlite3-$SQLITE_VERSION-$(basename "$ROOTFS")-$ARCH.node
if [ ! -f "$ADDON" ]; then
  say "building better-sqlite3 $SQLITE_VERSION with Debian's nodejs in $ROOTFS"
  cp -r "$LIB/node_modules/better-sqlite3" "$WORK/better-sqlite3"
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 systemd-nspawn --register=no --keep-unit -q --volatile=overlay \
    --bind="$WORK/better-sqlite3:/build" --chdir=/build -D "$ROOTFS" -- \
    node-gyp rebuild --release -j 2 > "$WORK/node-gyp.log" 2>&1 || { tail -n 20 "$WORK/node-gyp.log" >&2; exit 4; }
  strip --strip-unneeded -o "$ADDON.tmp" "$WORK/better-sqlite3/build/Release/better_sqlite3.node"
  mv "$ADDON.tmp" "$ADDON"
fi
# Only what runs: the module's JavaScript and its one binary (no sources, no other platforms).
SQ=$LIB/node_modules/better-sqlite3
rm -rf "$SQ/deps" "$SQ/src" "$SQ/build" "$SQ/binding.gyp"
install -D -m 0644 "$ADDON" "$SQ/build/Release/better_sqlite3.node"
KO=$LIB/node_modules/koffi
find "$KO/build/koffi" -mindepth 1 -maxdepth 1 ! -name "linux_$NODE_ARCH" -exec rm -rf {} +
rm -rf "$KO/src" "$KO/vendor" "$KO/doc" "$KO/lib"
# Any module's prebuilt binaries (prebuildify layout): this platform's only.
find "$LIB/node_modules" -type d -name prebuilds -prune -print | while read -r d; do
  find "$d" -mindepth 1 -maxdepth 1 ! -name "linux-$NODE_ARCH" -exec rm -rf {} +
done
# node-addon-api is headers for building, @types type declarations, *.html docs pages with remote scripts.
rm -rf "$LIB/node_modules/node-addon-api"
find "$LIB/node_modules" -depth -type d \( -name '@types' -o -name test -o -name .husky \) -exec rm -rf {} +
find "$LIB/node_modules" \( -name '*.md' -o -name '*.ts' -o -name '*.map' -o -name '*.html' -o -name '.*' \) -type f -delete
find "$LIB/node_modules" -name '*.node' -exec strip --strip-unneeded {} \;
find "$LIB/node_modules" -depth -type d -empty -delete

say "files"
printf '#!/bin/sh\n# f2b-fw: the program in /usr/lib/f2b-fw under Debian'"'"'s nodejs.\nexec /usr/bin/node /usr/lib/f2b-fw/dist/bundle/f2b-fw.cjs "$@"\n' > "$PKG/usr/bin/f2b-fw"
chmod 0755 "$PKG/usr/bin/f2b-fw"
cp -r rules "$PKG/usr/share/f2b-fw/rules"
ln -s ../../share/f2b-fw/rules "$LIB/rules"
install -m 0644 systemd/f2b-fw.service "$PKG/lib/systemd/system/f2b-fw.service"
install -m 0644 packaging/etc/jail.local packaging/etc/f2b-fw.conf "$PKG/etc/f2b-fw/"
install -m 0644 packaging/etc/logrotate "$PKG/etc/logrotate.d/f2b-fw"
node "$BUILD/dist/packaging/man.js" "$WORK/man" >/dev/null
gzip -9n -c "$WORK/man/f2b-fw.8" > "$PKG/usr/share/man/man8/f2b-fw.8.gz"
gzip -9n -c "$WORK/man/f2b-fw.conf.5" > "$PKG/usr/share/man/man5/f2b-fw.conf.5.gz"
install -m 0644 README.md "$DOC/"
install -d "$DOC/docs" && install -m 0644 docs/*.md "$DOC/docs/"
packaging/copyright.sh "$LIB/node_modules" > "$DOC/copyright"
sed "s/@VERSION@/$VERSION/; s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")/" packaging/debian/changelog.in | gzip -9n > "$DOC/changelog.gz"
install -m 0644 packaging/debian/conffiles "$PKG/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$PKG/DEBIAN/"
# Directories 0755, files 0644; executable only the two commands (libraries are loaded, not run).
find "$PKG" -path "$PKG/DEBIAN" -prune -o -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
chmod 0755 "$PKG/usr/bin/f2b-fw" "$LIB/dist/bundle/f2b-fw.cjs"

# Depends on the shared libraries the binaries link, as the Debian 12 root file system's shlibs
# files name them (better-sqlite3 links Debian's libnode.so.108, which only that system has).
SHLIBS=$(find "$LIB" -name '*.node' -exec objdump -p {} \; | awk '$1 == "NEEDED" {print $2}' | sort -u |
  while read -r so; do
    name=${so%%.so.*}; ver=${so##*.so.}
    # awk reads the files itself: a `cat … | awk '…exit'` pipe dies of SIGPIPE (141) under pipefail.
    awk -v n="$name" -v v="$ver" '$1 == n && $2 == v {$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit}' "$ROOTFS"/var/lib/dpkg/info/*.shlibs
  done | sort -u | paste -sd, - | sed 's/,/, /g')
[ -n "$SHLIBS" ] || { echo "package: no shared-library dependencies found" >&2; exit 1; }
SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" -e "s/@SHLIBS@/$SHLIBS/" packaging/debian/control.in > "$PKG/DEBIAN/control"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$PKG/DEBIAN/md5sums"
chmod 0644 "$PKG/DEBIAN/md5sums" "$PKG/DEBIAN/control" "$PKG/DEBIAN/conffiles"

DEB=$OUTDIR/f2b-fw_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
say "built $DEB ($(du -h "$DEB" | cut -f1))"
echo "$DEB"
