import { commands as defaultCommands, type Command } from './commands';
import { CliError, messageOf, UsageError, processIO, type CliIO } from './io';

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: tailgate <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `tailgate <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

function isSystemError(err: unknown): err is { message: string } {
  return typeof err === 'object' && err !== null && 'syscall' in err && 'code' in err && typeof err.code === 'string';
}

/**
 * Entry point of the `tailgate` command line (bin/tailgate.js calls it with process.argv.slice(2)).
 * Resolves to the exit code instead of calling process.exit, so output is flushed and tests can call it.
 */
export async function main(
  argv: string[],
  io: CliIO = processIO(),
  commands: readonly Command[] = defaultCommands,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(usage(commands));
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(commands));
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`tailgate: unknown command '${name}'\n\n${usage(commands)}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) {
      io.stderr.write(`tailgate ${command.name}: ${err.message}\n`);
      return err.exitCode;
    }
    // Node's system errors (EACCES, ENOSPC, EROFS…) already name the call and the path; a stack adds nothing.
    if (isSystemError(err)) {
      io.stderr.write(`tailgate ${command.name}: ${err.message}\n`);
      return 1;
    }
    const stack = typeof err === 'object' && err !== null && 'stack' in err ? err.stack : undefined;
    const detail = typeof stack === 'string' ? stack : messageOf(err);
    io.stderr.write(`tailgate ${command.name}: unexpected error: ${detail}\n`);
    return 1;
  }
}
