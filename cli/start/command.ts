import { parseArgs } from 'node:util';
import type { Command } from '../commands';
import { messageOf, UsageError } from '../io';

function help(): string {
  return [
    'Usage: tailgate start',
    '',
    'Runs the gateway in this process, as `npm start` does (without its build step): same entry point, same',
    'environment variables, source maps on. It applies pending database migrations, listens on',
    '$TAILGATE_LISTEN (default 127.0.0.1:8080) and stops cleanly on Ctrl-C or SIGTERM. One difference: `npm start`',
    'and the container image also run node with --no-parallel-scavenge (steadier p99 under load, bench/RESULTS.md),',
    'a flag only node\'s own command line can set: under heavy load, run `node --no-parallel-scavenge $(which',
    'tailgate) start`, or `npm start`.',
    '',
    'Configure it with environment variables, e.g. TAILGATE_LISTEN, DATABASE_URL (default: an embedded',
    'PostgreSQL in $TAILGATE_DATA_DIR), TAILGATE_IDENTITY, TAILSCALE_SOCKET, TAILGATE_ADMINS and the provider',
    'keys OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY. See docs/deploy.md.',
    '',
  ].join('\n');
}

/**
 * The gateway's entry module starts the gateway when it is loaded and owns the process from then on: it
 * reads process.env, exits 1 when it cannot start, and exits on SIGINT/SIGTERM after draining.
 */
function loadGatewayEntry(): void {
  // Compiled, this is dist/cli/start/command.js requiring dist/app/main.js: the file `npm start` runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../app/main');
}

export function createStartCommand(deps: { loadGatewayEntry?: () => void } = {}): Command {
  const load = deps.loadGatewayEntry ?? loadGatewayEntry;
  return {
    name: 'start',
    summary: 'run the gateway (what `npm start` runs)',
    async run(args, io) {
      let parsed;
      try {
        parsed = parseArgs({ args, strict: true, options: { help: { type: 'boolean', short: 'h', default: false } } });
      } catch (err) {
        throw new UsageError(`${messageOf(err)}; the gateway is configured with environment variables (see tailgate start --help)`);
      }
      if (parsed.values.help) {
        io.stdout.write(help());
        return 0;
      }
      // `npm start` runs node with --enable-source-maps; stack traces in the logs should point at the same lines.
      // (Its --no-parallel-scavenge cannot follow: V8 settles its collector at start-up, and setting GC
      // flags at run time can crash it, as --single-threaded-gc did here. This process keeps the default.)
      process.setSourceMapsEnabled(true);
      load();
      // Never resolves: the gateway decides when and how the process ends.
      return new Promise<number>(() => {});
    },
  };
}

export const startCommand = createStartCommand();
