// `node -r ./test/cli/support/run-ts.js <file>.ts`: runs the TypeScript sources in a child process, compiled
// on load by swc with the settings jest uses (decorator metadata included), so tests can drive `tailgate
// start` and the db:migrate script as real processes without `npm run build`.
'use strict';
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
