#!/usr/bin/env node
// `npm run build` (and the bootstrap before `npm start`/`npm test`): compile the apps to dist/,
// then copy the SQL migrations the apps read at start-up, which tsc does not copy (it copies
// only what TypeScript imports).
const { execSync } = require('node:child_process');
const { cpSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
execSync('npx tsc -p tsconfig.build.json', { cwd: root, stdio: 'inherit' });
cpSync(join(root, 'libs/clickhouse/src/migrations'), join(root, 'dist/libs/clickhouse/src/migrations'), { recursive: true });
