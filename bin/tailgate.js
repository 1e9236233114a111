#!/usr/bin/env node
'use strict';
// Plain JavaScript so the command runs without TypeScript tooling; the code lives in cli/ and is compiled to
// dist/cli/ by `npm run build`.
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('tailgate: dist/cli/main.js is missing; run `npm run build` in the Tailgate checkout first\n');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
