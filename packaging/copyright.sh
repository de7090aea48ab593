#!/usr/bin/env bash
# Prints the package's debian/copyright (machine-readable format 1.0): f2b-fw itself, then one
# paragraph per bundled node module from its package.json (name, author, license).
#   packaging/copyright.sh NODE_MODULES_DIR
set -euo pipefail
cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: f2b-fw
Comment: The program is f2b-fw's own; the node modules under /usr/lib/f2b-fw/node_modules are
 bundled as npm ships them (better-sqlite3 includes SQLite, which is in the public domain).

Files: *
Copyright: f2b-fw developers
License: GPL-2+
 This program is free software; you can redistribute it and/or modify it under the terms of the
 GNU General Public License as published by the Free Software Foundation; either version 2 of the
 License, or (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU General Public License version 2 can be found in
 /usr/share/common-licenses/GPL-2.
HEAD
node - "$1" <<'JS'
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const root = process.argv[2];
const dirs = [];
for (const d of readdirSync(root)) {
  if (d.startsWith('.')) continue;
  if (d.startsWith('@')) for (const s of readdirSync(join(root, d))) dirs.push(join(d, s));
  else dirs.push(d);
}
const licenses = new Set();
for (const d of dirs.sort()) {
  const file = join(root, d, 'package.json');
  if (!existsSync(file)) continue;
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const author = typeof p.author === 'string' ? p.author : p.author?.name ?? `the ${p.name} authors`;
  const license = String(p.license ?? 'see its package').replace(/[()]/g, '').replace(/ OR /g, ' or ');
  licenses.add(license);
  process.stdout.write(`\nFiles: usr/lib/f2b-fw/node_modules/${d}/*\nCopyright: ${author.replace(/\s*<[^>]*>/, '')}\nLicense: ${license}\n`);
}
const TEXT = {
  MIT: 'Permission is hereby granted, free of charge, to any person obtaining a copy of this software\n and associated documentation files (the "Software"), to deal in the Software without restriction,\n including without limitation the rights to use, copy, modify, merge, publish, distribute,\n sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is\n furnished to do so, subject to the condition that the above copyright notice and this permission\n notice shall be included in all copies or substantial portions of the Software.\n .\n THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.',
  ISC: 'Permission to use, copy, modify, and/or distribute this software for any purpose with or without\n fee is hereby granted, provided that the above copyright notice and this permission notice appear\n in all copies.\n .\n THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES.',
  'Apache-2.0': 'On Debian systems, the complete text of the Apache License 2.0 can be found in\n /usr/share/common-licenses/Apache-2.0.',
  'BSD-2-Clause': 'Redistribution and use in source and binary forms, with or without modification, are permitted\n provided that the copyright notice, this list of conditions and the disclaimer are retained.',
  WTFPL: 'Everyone is permitted to copy and distribute verbatim or modified copies of this license\n document. DO WHAT THE FUCK YOU WANT TO PUBLIC LICENSE.',
  'BSD-3-Clause': 'Redistribution and use in source and binary forms, with or without modification, are permitted\n provided that the copyright notice, this list of conditions and the disclaimer are retained.',
};
for (const l of [...licenses].sort()) {
  for (const single of l.split(' or ')) {
    if (TEXT[single] && !licenses.has(`done:${single}`)) {
      licenses.add(`done:${single}`);
      process.stdout.write(`\nLicense: ${single}\n ${TEXT[single]}\n`);
    }
  }
}
JS
