import type { CliIO } from './io';
import { connectCommand } from './connect/command';
import { doctorCommand } from './doctor/command';
import { migrateCommand } from './migrate/command';
import { startCommand } from './start/command';

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

/**
 * Every subcommand, in the order `tailgate --help` lists them. To add one, write `cli/<name>/command.ts`
 * exporting a `Command` and list it here.
 */
export const commands: readonly Command[] = [connectCommand, doctorCommand, startCommand, migrateCommand];
