import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from '../logger';
import { startEmbeddedPostgres } from './embedded';

export interface DatabaseHandle {
  url: string;
  /** Stops the embedded server this process started; a no-op for an external DATABASE_URL. */
  stop(): Promise<void>;
  embedded: boolean;
}

const DATABASE_NAME = 'tailgate';

/** DATABASE_URL when given; otherwise an embedded PostgreSQL whose cluster lives in the data dir. */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; log: Logger }): Promise<DatabaseHandle> {
  if (options.databaseUrl) return { url: options.databaseUrl, stop: async () => {}, embedded: false };
  const server = await startEmbeddedPostgres({ clusterDir: path.join(options.dataDir, 'pg'), log: options.log });
  try {
    await createDatabaseIfMissing(server.urlFor('postgres'), DATABASE_NAME);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { url: server.urlFor(DATABASE_NAME), stop: () => server.stop(), embedded: true };
}

export async function createDatabaseIfMissing(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
