/**
 * Filesystem steps of `connect` and `--undo`: read, write atomically (through symlinks, keeping permission
 * bits), back up, and create or remove directories. No policy lives here; see apply.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function readTextFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Permission bits of an existing file, or null. */
export function fileMode(file: string): number | null {
  try {
    return fs.statSync(file).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Creates `dir` and its missing parents (0700); returns the ones it created, outermost first. */
export function ensureDir(dir: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) fs.mkdirSync(d, { mode: 0o700 });
  return missing;
}

/** Removes each directory that is empty, innermost first; returns those that were not (still in use). */
export function removeEmptyDirs(dirs: string[]): string[] {
  const kept: string[] = [];
  const byDepth = [...new Set(dirs)].sort((a, b) => b.split(path.sep).length - a.split(path.sep).length);
  for (const dir of byDepth) {
    try {
      fs.rmdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') kept.push(dir);
      else if (code !== 'ENOENT') throw err;
    }
  }
  return kept;
}

/**
 * Replaces `file`'s content via a temporary file and rename, so a crash never leaves a half-written config.
 * A symlinked config (dotfile managers) is written at its target, keeping the link.
 */
export function writeFileAtomic(file: string, content: string, mode: number): void {
  const target = fs.existsSync(file) ? fs.realpathSync(file) : file;
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.tailgate-${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, content, { mode });
    // writeFileSync's mode is filtered by the umask; the original bits must survive exactly.
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

export function deleteFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** `20261125T162550Z`: UTC, sortable, and free of characters that file systems or shells dislike. */
export function utcStamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Saves `content` as `<file>.tailgate-backup-<UTC time>` (with -2, -3… if taken) and returns its path. */
export function writeBackup(file: string, content: string, mode: number, now: Date): string {
  const base = `${file}.tailgate-backup-${utcStamp(now)}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      fs.writeFileSync(candidate, content, { mode, flag: 'wx' });
      fs.chmodSync(candidate, mode);
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
