#!/usr/bin/env bash
# Bundles our own modules into OUTDIR (default dist/bundle) with esbuild, so a process start
# reads a handful of files instead of one per module (issue 12: Node 20 resolves, reads and links
# ESM one file at a time). Every npm package stays external, loaded from node_modules. Code
# splitting keeps the CLI's lazy import() of each command a chunk of its own, loaded only for
# that command. match-worker is the regex watchdog's worker-thread script (src/filter/guarded.ts
# starts it as ./match-worker.js next to itself); all outputs are flat in OUTDIR, so that and
# src/core/paths.ts (F2B_BUNDLED) resolve from any chunk. Target node18: the .deb runs under
# Debian 12's nodejs 18. The program itself (package.json `bin`, the .deb's /usr/bin/f2b-fw) is
# f2b-fw.cjs, src/cli/client-main.ts as one CommonJS file: the client commands (ping, status,
# ban…) run from it without the ESM loader; every other command it hands to main.js.
# esbuild escapes non-ASCII in strings but keeps class members' doc comments as written; one
# character beyond Latin-1 there (→, …, —) makes V8 hold that whole chunk's source as UTF-16,
# twice its size (≈ 0.5 MB of an idle daemon's heap), so the last step writes such characters
# as \u escapes (only comments still have any).
#   packaging/bundle.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-dist/bundle}
rm -rf "$OUT"
node_modules/.bin/esbuild src/cli/client-main.ts \
  --bundle --platform=node --packages=external --format=cjs --target=node18 \
  --sourcemap --outfile="$OUT/f2b-fw.cjs" --define:F2B_BUNDLED=true --log-level=warning
node_modules/.bin/esbuild src/cli/main.ts src/filter/match-worker.ts \
  --bundle --platform=node --packages=external --format=esm --splitting --target=node18 \
  --sourcemap --outdir="$OUT" --entry-names='[name]' --chunk-names='chunk-[hash]' \
  --define:F2B_BUNDLED=true --log-level=warning
perl -CSD -pi -e 's/([^\x00-\xff])/sprintf("\\u{%x}", ord($1))/ge' "$OUT"/*.js
