/**
 * What `connect` and `--undo` do to files, separated from argument handling: compute the change set, then
 * (unless it is a dry run) apply it with backups and the state that makes undo exact.
 */
import * as path from 'node:path';
import type { ClientId, ConnectPlan } from './client';
import { deleteFile, ensureDir, fileMode, readTextFile, removeEmptyDirs, writeBackup, writeFileAtomic } from './files';
import type { ConnectPaths } from './paths';
import { forgetClient, loadState, saveState, sha256 } from './state';

/** One file that would change: its content now and afterwards (null = absent). */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

export interface AppliedChange extends FileChange {
  /** Backup of `before` written next to the file, if one was made. */
  backup?: string;
}

/** New config files get 0600: some (Gemini's .env) hold keys, and none needs to be readable by others. */
const NEW_FILE_MODE = 0o600;

export function connectChanges(plan: ConnectPlan): FileChange[] {
  return plan.files
    .map(({ path: file, content }) => ({ path: file, before: readTextFile(file), after: content }))
    .filter((change) => change.before !== change.after);
}

/**
 * Writes the planned files. The state is saved before any config file is touched, so an interrupted run
 * can still be undone; each existing file is backed up before it is replaced.
 */
export function applyConnect(
  client: ClientId,
  url: string,
  changes: FileChange[],
  paths: ConnectPaths,
  now: Date,
): AppliedChange[] {
  if (changes.length === 0) return [];
  const state = loadState(paths.stateFile);
  const record = state.clients[client] ?? { url, connectedAt: now.toISOString(), files: {}, createdDirs: [] };
  record.url = url;
  state.clients[client] = record;
  const modes = new Map(changes.map((c) => [c.path, fileMode(c.path)]));
  for (const change of changes) {
    const after = change.after ?? '';
    const known = record.files[change.path];
    if (known) known.writtenSha256 = sha256(after);
    else {
      const mode = modes.get(change.path) ?? null;
      record.files[change.path] = {
        original: change.before === null || mode === null ? null : { content: change.before, mode },
        writtenSha256: sha256(after),
      };
    }
    for (const dir of ensureDir(path.dirname(change.path))) record.createdDirs.push(dir);
  }
  saveState(paths.stateFile, state);

  return changes.map((change) => {
    const mode = modes.get(change.path) ?? null;
    const backup = change.before !== null && mode !== null ? writeBackup(change.path, change.before, mode, now) : undefined;
    writeFileAtomic(change.path, change.after ?? '', mode ?? NEW_FILE_MODE);
    return { ...change, backup };
  });
}

/** Files `--undo` would restore (or delete), or null when connect never changed anything for this client. */
export function undoChanges(client: ClientId, paths: ConnectPaths): FileChange[] | null {
  const record = loadState(paths.stateFile).clients[client];
  if (!record) return null;
  return Object.entries(record.files).map(([file, saved]) => ({
    path: file,
    before: readTextFile(file),
    after: saved.original?.content ?? null,
  }));
}

/**
 * Puts back every file connect changed for `client`, deletes the ones it created, and removes the
 * directories it created once empty. A file edited since connect is saved as a backup before being
 * overwritten, so undo never silently loses the user's later edits.
 */
export function applyUndo(client: ClientId, paths: ConnectPaths, now: Date): AppliedChange[] {
  const state = loadState(paths.stateFile);
  const record = state.clients[client];
  if (!record) return [];
  const applied: AppliedChange[] = [];
  for (const [file, saved] of Object.entries(record.files)) {
    const current = readTextFile(file);
    const target = saved.original?.content ?? null;
    if (current === target) {
      applied.push({ path: file, before: current, after: target });
      continue;
    }
    const mode = fileMode(file);
    const editedSince = current !== null && sha256(current) !== saved.writtenSha256;
    const backup = editedSince && mode !== null ? writeBackup(file, current, mode, now) : undefined;
    if (saved.original === null) deleteFile(file);
    else {
      ensureDir(path.dirname(file));
      writeFileAtomic(file, saved.original.content, saved.original.mode);
    }
    applied.push({ path: file, before: current, after: target, backup });
  }
  const leftover = removeEmptyDirs(record.createdDirs);
  forgetClient(paths.stateFile, state, client, leftover);
  return applied;
}
