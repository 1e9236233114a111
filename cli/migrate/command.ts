import { parseArgs } from 'node:util';
import type { Command } from '../commands';
import { messageOf, UsageError } from '../io';

function help(): string {
  return [
    'Usage: tailgate migrate',
    '',
    'Applies the pending database migrations, as `npm run db:migrate` does, and says which it applied (or',
    'that the database is up to date). Uses DATABASE_URL, or the embedded PostgreSQL in $TAILGATE_DATA_DIR',
    '(default ./.tailgate). `tailgate start` applies them too; run this first to migrate without starting.',
    '',
    'Exit codes: 0 done, 1 failed (the reason is on stderr), 2 usage error.',
    '',
  ].join('\n');
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply database migrations (what `npm run db:migrate` runs)',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, strict: true, options: { help: { type: 'boolean', short: 'h', default: false } } });
    } catch (err) {
      throw new UsageError(`${messageOf(err)} (see tailgate migrate --help)`);
    }
    if (parsed.values.help) {
      io.stdout.write(help());
      return 0;
    }
    // Loaded on use: the database layer (pg, the embedded server, the wasm engine) is not needed by other commands.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runMigrateCli } = require('../../core/db/migrate-cli') as typeof import('../../core/db/migrate-cli');
    const stderr = { write: (text: string) => io.stderr.write(`tailgate migrate: ${text}`) };
    return runMigrateCli(['apply'], { stdout: io.stdout, stderr, env: io.env });
  },
};
