import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import type { RequestRecord } from './record';

/**
 * Records that could not reach Postgres in time, on local disk: one fsync'd JSON Lines file per
 * batch, named so that lexical order is write order. Replayed oldest first.
 */
export class Spool {
  private seq = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  write(records: readonly RequestRecord[]): void {
    // The thread id too: the ledger thread and, while it is down, the main thread spool to one folder.
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${threadId}-${String(this.seq++).padStart(8, '0')}.jsonl`;
    const tmp = path.join(this.dir, `.${name}.tmp`);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, records.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).join('\n') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // rename is atomic: a crash mid-write leaves only a .tmp file, never half a batch to replay.
    renameSync(tmp, path.join(this.dir, name));
  }

  files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => f.endsWith('.jsonl') && !f.startsWith('.')).sort();
  }

  read(file: string): RequestRecord[] {
    return readFileSync(path.join(this.dir, file), 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line, (key, v: unknown) => {
        if (typeof v === 'string' && /^-?\d+n$/.test(v)) return BigInt(v.slice(0, -1));
        if (key === 'at' && typeof v === 'string') return new Date(v);
        return v;
      }) as RequestRecord);
  }

  remove(file: string): void {
    unlinkSync(path.join(this.dir, file));
  }

  bytes(): number {
    return this.files().reduce((sum, f) => sum + statSync(path.join(this.dir, f)).size, 0);
  }
}
