import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * A content hash of exactly the files `docker build` sends, read from the repo's .dockerignore.
 * The image tag is this hash, so `pulumi up` rebuilds when (and only when) an input of the image
 * changed. Only the allow-list subset of .dockerignore syntax is supported, and anything else
 * fails loudly: a hash that silently disagreed with Docker would skip a needed rebuild.
 */

type Rule =
  | { kind: 'all' }
  | { kind: 'include'; path: string }
  | { kind: 'excludePath'; path: string }
  | { kind: 'excludeName'; name: string };

export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `.dockerignore line ${index + 1} (${JSON.stringify(line)})`;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
    if (pattern === '*' && !negated) {
      rules.push({ kind: 'all' });
    } else if (pattern.startsWith('**/') && !negated && isPlain(pattern.slice(3)) && !pattern.slice(3).includes('/')) {
      rules.push({ kind: 'excludeName', name: pattern.slice(3) });
    } else if (isPlain(pattern) && !pattern.split('/').includes('..')) {
      rules.push(negated ? { kind: 'include', path: pattern } : { kind: 'excludePath', path: pattern });
    } else {
      throw new Error(`${where}: unsupported pattern; infra/lib/build-context.ts understands "*", "!path", "path" and "**/name"`);
    }
  }
  if (rules[0]?.kind !== 'all') {
    throw new Error('.dockerignore must start with "*" and allow-list what the image needs (infra hashes exactly that)');
  }
  return rules;
}

function isPlain(pattern: string): boolean {
  return pattern !== '' && !/[*?[\]\\]/.test(pattern);
}

function matches(rule: Rule, relPath: string): boolean {
  switch (rule.kind) {
    case 'all':
      return true;
    case 'include':
    case 'excludePath':
      return relPath === rule.path || relPath.startsWith(`${rule.path}/`);
    case 'excludeName':
      return relPath.split('/').includes(rule.name);
  }
}

/** Docker's rule: the last pattern that matches a path decides. */
export function isInContext(rules: Rule[], relPath: string): boolean {
  let included = true;
  for (const rule of rules) {
    if (matches(rule, relPath)) included = rule.kind === 'include';
  }
  return included;
}

export interface BuildContextDigest {
  /** sha256 hex over the Dockerfile, .dockerignore and every file in the context. */
  hash: string;
  files: string[];
}

export function hashBuildContext(contextDir: string, dockerfile = 'Dockerfile'): BuildContextDigest {
  const ignoreText = readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
  const rules = parseDockerignore(ignoreText);
  const files: string[] = [];
  const roots = [...new Set(rules.flatMap((r) => (r.kind === 'include' ? [r.path] : [])))];
  for (const root of roots) collect(contextDir, root, rules, files);
  files.sort();

  const hash = createHash('sha256');
  hash.update(`dockerfile\0${readFileSync(path.join(contextDir, dockerfile))}\0`);
  hash.update(`dockerignore\0${ignoreText}\0`);
  for (const rel of files) {
    const abs = path.join(contextDir, rel);
    const stat = lstatSync(abs);
    hash.update(`${rel}\0${stat.mode & 0o111 ? 'x' : '-'}\0`);
    hash.update(stat.isSymbolicLink() ? `link:${readlinkSync(abs)}` : readFileSync(abs));
    hash.update('\0');
  }
  return { hash: hash.digest('hex'), files };
}

function collect(contextDir: string, rel: string, rules: Rule[], out: string[]): void {
  let stat;
  try {
    stat = lstatSync(path.join(contextDir, rel));
  } catch {
    return; // an allow-listed path that does not exist is simply not sent
  }
  if (stat.isDirectory()) {
    if (!isInContext(rules, rel) && !rules.some((r) => r.kind === 'include' && r.path.startsWith(`${rel}/`))) return;
    for (const entry of readdirSync(path.join(contextDir, rel))) collect(contextDir, `${rel}/${entry}`, rules, out);
  } else if (isInContext(rules, rel)) {
    out.push(rel);
  }
}
