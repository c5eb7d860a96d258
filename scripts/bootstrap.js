#!/usr/bin/env node
// Runs before `npm start` and `npm test` (prestart/pretest) and before benchmarks, so that both
// commands work on a fresh machine: install npm dependencies when missing or stale, bring up the
// native stack (Kafka, ClickHouse, Redis) when nothing answers, and build the apps.
const { execSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

function installDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && mtime(marker) >= mtime(lock) && mtime(marker) >= mtime(join(root, 'package.json'))) return;
  console.log('[bootstrap] installing npm dependencies');
  run(existsSync(lock) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund');
}

function build() {
  console.log('[bootstrap] building apps');
  run('node scripts/build.js');
}

installDependencies();
if (process.env.SKIP_STACK !== '1') run('bash deploy/local/stack.sh up');
build();
