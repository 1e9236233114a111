#!/usr/bin/env node
// Runs before `npm start` / `npm test`: installs dependencies when node_modules is missing or
// older than package.json / package-lock.json, so a fresh clone needs exactly one command. npm
// writes node_modules/.package-lock.json on every install; npm itself trusts it only while it is
// newer than the manifests, and so do we.
'use strict';
const { existsSync, statSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const installed = mtime(path.join(root, 'node_modules', '.package-lock.json'));
const manifests = Math.max(mtime(path.join(root, 'package.json')), mtime(path.join(root, 'package-lock.json')));
if (installed === 0 || installed < manifests) {
  const command = existsSync(path.join(root, 'package-lock.json')) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund';
  console.error(`[tailgate] dependencies missing or stale: running ${command}`);
  execSync(command, { cwd: root, stdio: 'inherit' });
}
