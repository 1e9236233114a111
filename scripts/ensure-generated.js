#!/usr/bin/env node
// Generates the Prisma client when it is missing or older than prisma/schema.prisma. The CLI's
// schema engine binary cannot be downloaded offline; generate does not need it, so point the CLI at
// /bin/false (which makes any migrate command fail loudly instead of silently doing nothing).
'use strict';
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const schema = path.join(root, 'prisma', 'schema.prisma');
const outDir = path.join(root, 'core', 'generated', 'prisma');
const stampFile = path.join(outDir, '.schema-stamp');
const want = createHash('sha256').update(readFileSync(schema)).digest('hex');
const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (have !== want || !existsSync(path.join(outDir, 'client.ts'))) {
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js', { paths: [root] }), 'generate'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  writeFileSync(stampFile, `${want}\n`);
}
