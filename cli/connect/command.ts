import { parseArgs } from 'node:util';
import type { Command } from '../commands';
import { unifiedDiff } from '../diff';
import { messageOf, UsageError, type CliIO } from '../io';
import { applyConnect, applyUndo, connectChanges, undoChanges, type AppliedChange, type FileChange } from './apply';
import { CLIENT_IDS, type ClientConnector } from './client';
import { connectors, isClientId } from './clients';
import { readTextFile } from './files';
import { parseGatewayUrl } from './gateway-url';
import { redactSecrets } from './redact';
import { displayPath, resolveConnectPaths, type ConnectPaths } from './paths';

function help(): string {
  const width = Math.max(...CLIENT_IDS.map((id) => id.length));
  return [
    'Usage: tailgate connect <client> --url <gateway URL> [--dry-run] [--home <dir>]',
    '       tailgate connect <client> --undo [--dry-run] [--home <dir>]',
    '',
    "Points a coding agent or SDK at your Tailgate gateway by editing that client's own config file.",
    'Other settings in the file are kept, the previous file is saved as <file>.tailgate-backup-<UTC time>,',
    'and running it again changes nothing. No real API key is needed: the gateway knows you by your',
    'Tailscale identity, so clients get the placeholder key "tailgate".',
    '',
    'Clients:',
    ...CLIENT_IDS.map((id) => `  ${id.padEnd(width)}  ${connectors[id].summary}`),
    '',
    'Options:',
    '  --url <url>    the gateway, e.g. https://ai.tail1234.ts.net or http://ai (default: $TAILGATE_URL)',
    '  --dry-run      show the changes as a diff and write nothing',
    '  --undo         put the files back as they were before the first `tailgate connect <client>`',
    '  --home <dir>   treat <dir> as the home directory (ignores CODEX_HOME, CLAUDE_CONFIG_DIR, XDG_CONFIG_HOME)',
    '  -h, --help     show this help',
    '',
    'Examples:',
    '  tailgate connect claude-code --url http://ai',
    '  tailgate connect codex --url https://ai.tail1234.ts.net --dry-run',
    '  eval "$(tailgate connect openai-env --url http://ai)"',
    '',
  ].join('\n');
}

interface CommonOptions {
  connector: ClientConnector;
  dryRun: boolean;
  paths: ConnectPaths;
}
type ConnectOptions = (CommonOptions & { action: 'connect'; url: string }) | (CommonOptions & { action: 'undo' });

function parseConnectArgs(args: string[], io: CliIO): ConnectOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        home: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        undo: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${messageOf(err)} (see tailgate connect --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const clients = CLIENT_IDS.join(', ');
  if (positionals.length === 0) throw new UsageError(`which client? one of: ${clients} (see tailgate connect --help)`);
  if (positionals.length > 1) throw new UsageError(`one client at a time; got ${positionals.join(' ')}`);
  const id = positionals[0];
  if (!isClientId(id)) throw new UsageError(`unknown client '${id}'; one of: ${clients}`);
  if (values.undo && values.url !== undefined) throw new UsageError('--undo takes no --url');
  if (values.home !== undefined && values.home.trim() === '') throw new UsageError('--home is empty');
  const common = { connector: connectors[id], dryRun: values['dry-run'], paths: resolveConnectPaths(values.home, io.env) };
  if (values.undo) return { ...common, action: 'undo' };
  const url = values.url ?? io.env.TAILGATE_URL;
  if (url === undefined || url === '') {
    throw new UsageError('--url is required, e.g. --url https://ai.tail1234.ts.net (or set TAILGATE_URL)');
  }
  return { ...common, action: 'connect', url };
}

function printDiff(io: CliIO, change: FileChange, paths: ConnectPaths): void {
  const name = displayPath(change.path, paths);
  const diff = unifiedDiff(redactSecrets(change.before ?? ''), redactSecrets(change.after ?? ''), {
    before: change.before === null ? '/dev/null' : name,
    after: change.after === null ? '/dev/null' : name,
  });
  io.stdout.write(diff);
}

function verb(change: FileChange, dryRun: boolean): string {
  const action = change.after === null ? 'delete' : change.before === null ? 'create' : 'update';
  if (dryRun) return `would ${action}`;
  return change.after === null ? 'deleted' : change.before === null ? 'created' : 'updated';
}

function runConnect(options: Extract<ConnectOptions, { action: 'connect' }>, io: CliIO): number {
  const { connector, paths, dryRun } = options;
  const gateway = parseGatewayUrl(options.url);
  const plan = connector.plan({ gateway, paths, readFile: readTextFile });
  for (const line of plan.output) io.stdout.write(`${line}\n`);
  if (plan.files.length === 0) return 0;

  const changes = connectChanges(plan);
  if (changes.length === 0) {
    io.stdout.write(`${connector.id}: already connected to ${gateway.root}; nothing to change\n`);
    return 0;
  }
  if (dryRun) {
    for (const change of changes) {
      io.stdout.write(`${connector.id}: ${verb(change, true)} ${displayPath(change.path, paths)}\n`);
      printDiff(io, change, paths);
    }
    io.stdout.write(`${connector.id}: dry run, nothing written\n`);
    return 0;
  }
  const applied = applyConnect(connector.id, gateway.root, changes, paths, io.now());
  reportApplied(io, connector.id, applied, paths);
  io.stdout.write(`${connector.id}: connected to ${gateway.root}\n`);
  for (const note of plan.notes) io.stdout.write(`  ${note}\n`);
  return 0;
}

function reportApplied(io: CliIO, client: string, applied: AppliedChange[], paths: ConnectPaths): void {
  for (const change of applied) {
    const backup = change.backup ? ` (previous version saved as ${displayPath(change.backup, paths)})` : '';
    io.stdout.write(`${client}: ${verb(change, false)} ${displayPath(change.path, paths)}${backup}\n`);
  }
}

function runUndo(options: Extract<ConnectOptions, { action: 'undo' }>, io: CliIO): number {
  const { connector, paths, dryRun } = options;
  if (connector.undoOutput) {
    for (const line of connector.undoOutput) io.stdout.write(`${line}\n`);
    return 0;
  }
  const changes = undoChanges(connector.id, paths);
  if (changes === null) {
    io.stdout.write(`${connector.id}: nothing to undo (tailgate connect ${connector.id} has not changed any file)\n`);
    return 0;
  }
  const pending = changes.filter((c) => c.before !== c.after);
  if (dryRun) {
    for (const change of pending) {
      io.stdout.write(`${connector.id}: ${verb(change, true)} ${displayPath(change.path, paths)}\n`);
      printDiff(io, change, paths);
    }
    if (pending.length === 0) io.stdout.write(`${connector.id}: files already as they were before connect\n`);
    io.stdout.write(`${connector.id}: dry run, nothing written\n`);
    return 0;
  }
  const applied = applyUndo(connector.id, paths, io.now()).filter((c) => c.before !== c.after);
  for (const change of applied) {
    const saved = change.backup ? ` (your edits since connect saved as ${displayPath(change.backup, paths)})` : '';
    const action = change.after === null ? 'deleted' : 'restored';
    io.stdout.write(`${connector.id}: ${action} ${displayPath(change.path, paths)}${saved}\n`);
  }
  io.stdout.write(`${connector.id}: disconnected; files are as they were before tailgate connect\n`);
  return 0;
}

export const connectCommand: Command = {
  name: 'connect',
  summary: 'point Claude Code, Codex, Gemini CLI, opencode or SDK apps at the gateway',
  async run(args, io) {
    const options = parseConnectArgs(args, io);
    if (options === 'help') {
      io.stdout.write(help());
      return 0;
    }
    return options.action === 'undo' ? runUndo(options, io) : runConnect(options, io);
  },
};
