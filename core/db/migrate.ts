import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import { PRISMA_DIR } from '../paths';

/**
 * Migrations without the Prisma CLI: its native schema engine cannot be downloaded here, so the
 * committed SQL is applied by the same engine compiled to wasm, through @prisma/adapter-pg. The
 * history lands in Prisma's own `_prisma_migrations`, so `prisma migrate deploy` accepts it where
 * the CLI works. Facts and pitfalls: shared/notes/prisma-offline.md.
 */

const MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');
const SCHEMA_FILE = path.join(PRISMA_DIR, 'schema.prisma');
const FILTERS = { externalTables: [], externalEnums: [] };

export interface CommittedMigration {
  name: string;
  sql: string;
  checksum: string;
}

export function listCommittedMigrations(dir = MIGRATIONS_DIR): CommittedMigration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * The common start-up case is "nothing to do"; answering it with one SQL query avoids loading the
 * wasm engine, which costs ~150 ms and leaves a 10 s timer behind.
 */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const committed = listCommittedMigrations();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>(
      `SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS exists`,
    );
    if (!table.rows[0]?.exists) return committed.map((m) => m.name);
    const applied = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM _prisma_migrations
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const done = new Map(applied.rows.map((row) => [row.migration_name, row.checksum]));
    return committed.filter((m) => done.get(m.name) !== m.checksum).map((m) => m.name);
  } finally {
    await client.end();
  }
}

function migrationList(): MigrationList {
  const lockPath = path.join(MIGRATIONS_DIR, 'migration_lock.toml');
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: listCommittedMigrations().map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
  };
}

type WasmExports = Record<string, unknown>;
interface WasmBindings {
  __wbg_set_wasm(exports: WasmExports): void;
  SchemaEngine: typeof SchemaEngine;
}
/** The slice of the WebAssembly global used here (Node has it; the TS lib for it lives in lib.dom). */
interface WasmRuntime {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: WasmExports } }>;
}

async function loadSchemaEngine(): Promise<typeof SchemaEngine> {
  // The package's main entry imports the .wasm file as an ES module, which Node 20 refuses without
  // --experimental-wasm-modules; instantiating the bindings by hand needs no flag.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bindings = require('@prisma/schema-engine-wasm/schema_engine_bg') as WasmBindings;
  const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
  const wasmRuntime = (globalThis as unknown as { WebAssembly: WasmRuntime }).WebAssembly;
  const { instance } = await wasmRuntime.instantiate(readFileSync(wasmPath), { './schema_engine_bg.js': bindings });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
  registry.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string) {
      throw new Error(`Prisma schema engine panicked: ${message}`);
    },
  };
  return bindings.SchemaEngine;
}

async function withEngine<T>(databaseUrl: string, schemaText: string, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const Engine = await loadSchemaEngine();
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils');
  const factory = new PrismaPg({ connectionString: databaseUrl, idleTimeoutMillis: 100 });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => sendScriptsWhole(await connect());
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engineLog: string[] = [];
  const restoreTimers = unrefTimersCreatedMeanwhile();
  const engine = await Engine.new({ datamodels: [[SCHEMA_FILE, schemaText]] }, (line: string) => engineLog.push(line), adapter);
  try {
    return await work(engine);
  } catch (err) {
    const detail = engineLog.slice(-5).join('\n');
    throw new Error(`schema engine failed: ${err instanceof Error ? err.message : String(err)}${detail ? `\n${detail}` : ''}`);
  } finally {
    engine.free();
    restoreTimers();
  }
}

/**
 * The wasm engine leaves a ~10 s timer behind after it is freed, which would hold a CLI, a test
 * runner or a shutting-down gateway open for no reason. Timers it creates are unref'd: they still
 * fire while anything else keeps the process alive, but keep nothing alive themselves.
 */
function unrefTimersCreatedMeanwhile(): () => void {
  const original = globalThis.setTimeout;
  const patched = ((...args: Parameters<typeof setTimeout>) => {
    const timer = original(...args);
    timer.unref?.();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
  return () => {
    globalThis.setTimeout = original;
  };
}

/**
 * adapter-pg runs a migration script by splitting it on every ";", which breaks dollar-quoted
 * function bodies and string literals. The native engine sends the script as one simple-query
 * message (atomic: Postgres wraps it in an implicit transaction); do the same.
 */
function sendScriptsWhole<T extends object>(adapter: T): T {
  const internals = adapter as unknown as {
    client: { query(sql: string): Promise<unknown> };
    onError(error: unknown): never;
    executeScript(script: string): Promise<void>;
  };
  internals.executeScript = async (script: string) => {
    try {
      await internals.client.query(script);
    } catch (error) {
      internals.onError(error);
    }
  };
  return adapter;
}

/** `prisma migrate deploy`, offline. Returns the names it applied (empty when up to date). */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  if ((await pendingMigrations(databaseUrl)).length === 0) return [];
  return withEngine(databaseUrl, readFileSync(SCHEMA_FILE, 'utf8'), async (engine) => {
    const result = await engine.applyMigrations({ migrationsList: migrationList(), filters: FILTERS });
    return result.appliedMigrationNames;
  });
}

/**
 * SQL that takes the schema as it was at the last migration to the current schema.prisma. The
 * previous schema is kept beside the migrations (schema.snapshot.prisma) so no shadow database is
 * needed (the shadow route is broken offline; see the notes).
 */
export async function diffSchemaToSql(databaseUrl: string, previousSchema: string | null, nextSchema: string): Promise<string> {
  return withEngine(databaseUrl, nextSchema, async (engine) => {
    const from = previousSchema === null
      ? { tag: 'empty' as const }
      : { tag: 'schemaDatamodel' as const, files: [{ path: 'previous.prisma', content: previousSchema }] };
    const result = await engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_FILE, content: nextSchema }] },
      script: true,
      exitCode: null,
      filters: FILTERS,
    });
    return result.stdout ?? '';
  });
}

export const MIGRATION_PATHS = { dir: MIGRATIONS_DIR, schema: SCHEMA_FILE, snapshot: path.join(MIGRATIONS_DIR, 'schema.snapshot.prisma') };
