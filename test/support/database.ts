import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createPrisma, type Prisma } from '../../core/db/client';

export const TEMPLATE_DATABASE = 'tailgate_template';

export interface TestDatabase {
  url: string;
  prisma: Prisma;
  drop(): Promise<void>;
}

/** A fresh, migrated database cloned from the run's template: one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TAILGATE_TEST_ADMIN_URL;
  if (!adminUrl) throw new Error('TAILGATE_TEST_ADMIN_URL is unset: run tests through jest (globalSetup starts PostgreSQL)');
  const name = `t_${randomBytes(6).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DATABASE}"`);
      break;
    } catch (err) {
      // "source database is being accessed by other users": a migration connection still closing.
      if (attempt >= 30 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const prisma = createPrisma(url.toString());
  return {
    url: url.toString(),
    prisma,
    drop: async () => {
      await prisma.$disconnect();
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
