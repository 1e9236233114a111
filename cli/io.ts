/**
 * What a command may touch of the outside world, passed in rather than taken from `process` so tests can run
 * a command in-process with a fake HOME, a fixed clock, and captured output.
 */
export interface TextSink {
  write(text: string): unknown;
}

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  /**
   * Whether stdin is a terminal. No command reads stdin or prompts today; commands that ever want to ask a
   * question must check this first and fail with a usage error instead of blocking a script or an agent.
   */
  stdinIsTTY: boolean;
  now(): Date;
}

let exitsQuietlyOnClosedPipe = false;

/**
 * `tailgate … | head` closes stdout early; Node then raises EPIPE on the next write, which would crash with
 * a stack trace. The reader has what it wanted, so leave quietly (as a process killed by SIGPIPE would).
 */
function exitQuietlyOnClosedPipe(): void {
  if (exitsQuietlyOnClosedPipe) return;
  exitsQuietlyOnClosedPipe = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export function processIO(): CliIO {
  exitQuietlyOnClosedPipe();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
    now: () => new Date(),
  };
}

/** A failure the user can fix by changing the command line. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A failure while doing the work (unreadable file, config tailgate refuses to rewrite, …). Exit code 1. */
export class CliError extends Error {
  readonly exitCode = 1;
}

/**
 * The message of anything thrown. Checks the shape rather than `instanceof Error`, which is false for errors
 * from another realm (Node internals seen from a jest vm context, for one).
 */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}
