import { existsSync } from 'node:fs';
import path from 'node:path';

/** The checkout (or installed package) root, found the same way from source (jest) and from dist/. */
function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'prisma', 'schema.prisma'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the Tailgate project root above ${start}`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const PRISMA_DIR = path.join(PROJECT_ROOT, 'prisma');
