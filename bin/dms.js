#!/usr/bin/env node
// Entry point for `npx dms`: runs the bundled CLI, building it first on a fresh checkout.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'apps', 'cli', 'main.js');
if (!existsSync(main)) {
  execFileSync(process.execPath, [join(root, 'tools', 'build', 'build.mjs')], { stdio: 'inherit', cwd: root });
}
require(main);
