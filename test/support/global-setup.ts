import { mkdtempSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabaseIfMissing } from '../../core/db/database';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../core/db/embedded';
import { applyMigrations } from '../../core/db/migrate';
import { silentLogger } from '../../core/logger';
import { TEMPLATE_DATABASE } from './database';

/**
 * One PostgreSQL per test run: the embedded server (or DATABASE_URL's server when given), with a
 * migrated template database that each test file clones in a few milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/postgres';
    adminUrl = url.toString();
  } else {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'tailgate-test-'));
    chmodSync(parent, 0o755); // the postgres OS user must traverse it when tests run as root
    const server = await startEmbeddedPostgres({ clusterDir: path.join(parent, 'pg'), log: silentLogger(), ephemeral: true });
    (globalThis as { __tailgatePg?: { server: EmbeddedPostgres; dir: string } }).__tailgatePg = { server, dir: parent };
    adminUrl = server.urlFor('postgres');
  }
  const template = new URL(adminUrl);
  template.pathname = `/${TEMPLATE_DATABASE}`;
  await dropDatabase(adminUrl, TEMPLATE_DATABASE);
  await createDatabaseIfMissing(adminUrl, TEMPLATE_DATABASE);
  await applyMigrations(template.toString());
  process.env.TAILGATE_TEST_ADMIN_URL = adminUrl;
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
