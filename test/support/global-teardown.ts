import { rmSync } from 'node:fs';
import type { EmbeddedPostgres } from '../../core/db/embedded';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __tailgatePg?: { server: EmbeddedPostgres; dir: string } }).__tailgatePg;
  if (!state) return;
  await state.server.stop();
  rmSync(state.dir, { recursive: true, force: true });
}
