import type { CliIO } from './io';
import { connectCommand } from './connect/command';

/**
 * One `tailgate <name> …` subcommand. `run` gets the arguments after the name and returns the exit code
 * (0 ok, 1 failure, 2 usage error); it may also throw UsageError / CliError, which main() reports.
 */
export interface Command {
  name: string;
  /** One line for `tailgate --help`. */
  summary: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** Reserves a name in `tailgate --help` for a subcommand that has not shipped yet. */
function notYetAvailable(name: string, summary: string): Command {
  return {
    name,
    summary: `${summary} (not yet available)`,
    async run(_args, io) {
      io.stderr.write(`tailgate ${name}: not yet available in this version of Tailgate\n`);
      return 1;
    },
  };
}

/**
 * Every subcommand, in the order `tailgate --help` lists them. To add one, write `cli/<name>/command.ts`
 * exporting a `Command` and replace its placeholder here.
 */
export const commands: readonly Command[] = [
  connectCommand,
  notYetAvailable('doctor', 'check that this machine can reach the gateway and that clients are set up'),
  notYetAvailable('start', 'run the gateway'),
  notYetAvailable('migrate', 'apply database migrations'),
];
