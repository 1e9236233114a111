/**
 * tailgate's memory of what `connect` changed, so `--undo` can put every file back exactly: per client, each
 * file's content before the first connect (or that it did not exist) and a hash of what tailgate last wrote.
 * The file holds copies of the user's config (possibly with keys in it), so it is written 0600.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CliError } from '../io';
import { ensureDir, readTextFile, removeEmptyDirs, writeFileAtomic } from './files';

const FileRecord = z.object({
  /** Content and permission bits before tailgate first changed the file; null if it did not exist. */
  original: z.object({ content: z.string(), mode: z.number().int() }).nullable(),
  /** sha256 of the content tailgate last wrote, to notice edits made since. */
  writtenSha256: z.string(),
});

const ClientRecord = z.object({
  url: z.string(),
  connectedAt: z.string(),
  files: z.record(z.string(), FileRecord),
  /** Directories connect created for this client (outermost first), removed again by undo when empty. */
  createdDirs: z.array(z.string()),
});

const ConnectState = z.object({
  version: z.literal(1),
  clients: z.record(z.string(), ClientRecord),
  /** Directories created to hold the state file itself, or left behind by an undo because not yet empty. */
  createdDirs: z.array(z.string()),
});

export type FileRecord = z.infer<typeof FileRecord>;
export type ClientRecord = z.infer<typeof ClientRecord>;
export type ConnectState = z.infer<typeof ConnectState>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function loadState(stateFile: string): ConnectState {
  const text = readTextFile(stateFile);
  if (text === null) return { version: 1, clients: {}, createdDirs: [] };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  const parsed = ConnectState.safeParse(data);
  if (!parsed.success) {
    throw new CliError(
      `${stateFile} is damaged or from another tailgate version; move it aside to continue ` +
        '(undo information in it would be lost; the .tailgate-backup-* files next to each config still hold the originals)',
    );
  }
  return parsed.data;
}

export function saveState(stateFile: string, state: ConnectState): void {
  for (const dir of ensureDir(path.dirname(stateFile))) {
    if (!state.createdDirs.includes(dir)) state.createdDirs.push(dir);
  }
  writeFileAtomic(stateFile, JSON.stringify(state, null, 2) + '\n', 0o600);
}

/**
 * Forgets a client. `leftoverDirs` are its directories that were not empty yet. When no client is left, the
 * state file goes too, with every directory tailgate created that is empty by now, so a full undo leaves
 * nothing of tailgate behind but the backups.
 */
export function forgetClient(stateFile: string, state: ConnectState, clientId: string, leftoverDirs: string[]): void {
  delete state.clients[clientId];
  for (const dir of leftoverDirs) if (!state.createdDirs.includes(dir)) state.createdDirs.push(dir);
  if (Object.keys(state.clients).length > 0) {
    saveState(stateFile, state);
    return;
  }
  fs.rmSync(stateFile, { force: true });
  removeEmptyDirs(state.createdDirs);
}
