import { defineConfig } from 'prisma/config';

// The CLI is only used for `prisma generate` here (its schema engine binary cannot be downloaded
// offline); migrations are applied by core/db/migrate.ts through the wasm schema engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
