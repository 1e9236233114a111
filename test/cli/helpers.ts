import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from '../../cli/commands';
import type { CliIO } from '../../cli/io';
import { main } from '../../cli/main';

export const NOW = new Date('2026-11-25T16:25:50.123Z');
export const STAMP = '20261125T162550Z';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tailgate <argv>` in-process with captured output, a fixed clock and a non-terminal stdin; `commands`
 * replaces the command table (e.g. a doctor bound to a test source address).
 */
export async function runTailgate(argv: string[], env: NodeJS.ProcessEnv = {}, now: Date = NOW, commands?: readonly Command[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    stdinIsTTY: false,
    now: () => now,
  };
  const code = await main(argv, io, commands);
  return { code, stdout, stderr };
}

export function makeTempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tailgate-home-'));
}

/** Writes files (relative to `root`), creating directories. */
export function writeFiles(root: string, files: Record<string, string>, mode = 0o644): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    fs.chmodSync(file, mode);
  }
}

export function read(root: string, rel: string): string {
  return fs.readFileSync(path.join(root, rel), 'utf8');
}

export function exists(root: string, rel: string): boolean {
  return fs.existsSync(path.join(root, rel));
}

export function isBackup(rel: string): boolean {
  return /\.tailgate-backup-\d{8}T\d{6}Z(-\d+)?$/.test(rel);
}

/**
 * Every directory and file under `root` (relative paths → content and permission bits; directories as
 * 'dir'), so a test can assert that an undo left the home exactly as it found it.
 */
export function snapshotTree(root: string, options: { ignoreBackups?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (options.ignoreBackups && isBackup(rel)) continue;
      if (entry.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(full);
      } else if (entry.isSymbolicLink()) {
        out[rel] = `-> ${fs.readlinkSync(full)}`;
      } else {
        const mode = (fs.statSync(full).mode & 0o777).toString(8);
        out[rel] = `${mode} ${fs.readFileSync(full, 'utf8')}`;
      }
    }
  };
  walk(root);
  return out;
}

export function backupsUnder(root: string): string[] {
  return Object.keys(snapshotTree(root)).filter(isBackup).sort();
}
