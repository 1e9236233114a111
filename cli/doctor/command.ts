import { parseArgs } from 'node:util';
import type { Command } from '../commands';
import { parseGatewayUrl } from '../connect/gateway-url';
import { resolveConnectPaths } from '../connect/paths';
import { messageOf, UsageError, type CliIO } from '../io';
import { runDoctor, type DoctorReport } from './checks';
import { connectedClients, type ConnectedClient } from './clients';
import type { FetchLike } from './http';

function help(): string {
  return [
    'Usage: tailgate doctor [--url <gateway URL>] [--all] [--json] [--timeout <seconds>] [--home <dir>]',
    '',
    'Checks that this machine can use the Tailgate gateway: reaches it, shows who the gateway thinks you are',
    'and the models you may use, then sends one tiny request (one output token) in the API format of each',
    'client `tailgate connect` set up here. Every failure comes with a one-line fix.',
    '',
    'Options:',
    '  --url <url>          the gateway (default: $TAILGATE_URL, else the URL your clients were connected to)',
    '  --all                probe all three API formats (OpenAI chat, Anthropic messages, Gemini generateContent)',
    '  --json               print the report as JSON',
    '  --timeout <seconds>  per request (default 10)',
    '  --home <dir>         treat <dir> as the home directory when looking for connected clients',
    '  -h, --help           show this help',
    '',
    'Exit codes: 0 every check passed, 1 a check failed, 2 usage error.',
    '',
  ].join('\n');
}

interface DoctorOptions {
  root: string;
  all: boolean;
  json: boolean;
  timeoutMs: number;
  clients: ConnectedClient[];
}

function parseDoctorArgs(args: string[], io: CliIO): DoctorOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      options: {
        url: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        home: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${messageOf(err)} (see tailgate doctor --help)`);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (values.home !== undefined && values.home.trim() === '') throw new UsageError('--home is empty');
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 600) throw new UsageError('--timeout is a number of seconds between 0 and 600');
  const clients = connectedClients(resolveConnectPaths(values.home, io.env), io.env);
  const given = values.url ?? (io.env.TAILGATE_URL || undefined);
  let root: string;
  if (given !== undefined) root = parseGatewayUrl(given).root;
  else {
    const known = [...new Set(clients.map((c) => c.url).filter((url): url is string => url !== null))];
    if (known.length === 0) throw new UsageError('--url is required, e.g. --url https://ai.tail1234.ts.net (or set TAILGATE_URL)');
    if (known.length > 1) throw new UsageError(`your clients are connected to different gateways (${known.join(', ')}); pick one with --url`);
    root = known[0];
  }
  return { root, all: values.all, json: values.json, timeoutMs: Math.round(timeout * 1000), clients };
}

const STATUS_WIDTH = 4;

/** Comma-separated, wrapped to `width` columns. */
function wrapList(items: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [i, item] of items.entries()) {
    const piece = i < items.length - 1 ? `${item},` : item;
    if (line !== '' && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else line = line === '' ? piece : `${line} ${piece}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function renderReport(report: DoctorReport): string {
  const idWidth = Math.max(...report.checks.map((c) => c.id.length));
  const indent = ' '.repeat(STATUS_WIDTH + 2 + idWidth + 2);
  const out = [`tailgate doctor: ${report.url}`, ''];
  for (const check of report.checks) {
    out.push(`${(check.ok ? 'ok' : 'FAIL').padEnd(STATUS_WIDTH)}  ${check.id.padEnd(idWidth)}  ${check.detail}`);
    if (check.items?.length) for (const line of wrapList(check.items, 100 - indent.length)) out.push(`${indent}${line}`);
    if (check.fix) out.push(`${indent}fix: ${check.fix}`);
  }
  const failures = report.checks.filter((c) => !c.ok).length;
  out.push('', failures === 0 ? 'All checks passed.' : `${failures} check${failures === 1 ? '' : 's'} failed.`, '');
  return out.join('\n');
}

/** `fetch` is injectable so tests can call from a chosen source address; the real command uses Node's global one. */
export function createDoctorCommand(deps: { fetch?: FetchLike } = {}): Command {
  const fetch: FetchLike = deps.fetch ?? ((url, init) => globalThis.fetch(url, init));
  return {
    name: 'doctor',
    summary: 'check that this machine can reach the gateway and that clients are set up',
    async run(args, io) {
      const options = parseDoctorArgs(args, io);
      if (options === 'help') {
        io.stdout.write(help());
        return 0;
      }
      const report = await runDoctor({ ...options, fetch, now: () => io.now() });
      io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      return report.ok ? 0 : 1;
    },
  };
}

export const doctorCommand = createDoctorCommand();
