/**
 * Minimal, byte-preserving edits to a TOML document: set one root key, and set or remove keys of one
 * `[table]`. Everything outside the lines it changes (comments, ordering, spacing, other tables) stays as
 * it was. Input it cannot edit safely is refused with TomlEditConflict rather than rewritten.
 */
import { detectEol } from './text';
import { scanToml, type TomlStatement } from './toml-scan';

export class TomlEditConflict extends Error {}

interface Splice {
  start: number;
  end: number;
  text: string;
}

function applySplices(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
  }
  return out;
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => part === path[i]);
}

function isHeader(s: TomlStatement): boolean {
  return s.kind === 'table' || s.kind === 'array-table';
}

function leadingWhitespace(text: string, s: TomlStatement): string {
  return /^[ \t]*/.exec(text.slice(s.start, s.end))?.[0] ?? '';
}

/** Where a new key line goes in a section: after its last key/value, else right after `afterOffset`. */
function insertionPoint(text: string, section: TomlStatement[], afterOffset: number, eol: string) {
  const lastKeyValue = [...section].reverse().find((s) => s.kind === 'keyvalue');
  const at = lastKeyValue?.end ?? afterOffset;
  const indent = lastKeyValue ? leadingWhitespace(text, lastKeyValue) : '';
  // The last statement of a file may lack its newline; a line inserted after it needs one first.
  const needsNewline = at > 0 && at === text.length && !text.endsWith('\n');
  return { at, indent, prefix: needsNewline ? eol : '' };
}

function rootSection(statements: TomlStatement[]): TomlStatement[] {
  const firstHeader = statements.findIndex(isHeader);
  return firstHeader < 0 ? statements : statements.slice(0, firstHeader);
}

/** The raw TOML text of a root-level key's value, or undefined when the root table does not set it. */
export function readRootValue(text: string, key: string): string | undefined {
  const found = rootSection(scanToml(text)).find((s) => s.kind === 'keyvalue' && samePath(s.key, [key]));
  return found ? text.slice(found.valueStart, found.valueEnd) : undefined;
}

/**
 * Sets `key = <rendered>` in the root table. An existing value is replaced in place (its line, spacing and
 * trailing comment kept); a missing key is added after the last root key, before the first table header.
 * `comment` lines (without '#') go above a newly added key.
 */
export function setRootKey(text: string, key: string, rendered: string, comment: string[] = []): string {
  const statements = scanToml(text);
  const clash = statements.find((s) => isHeader(s) && s.key[0] === key);
  if (clash) throw new TomlEditConflict(`line ${clash.line}: '${key}' is a table here, expected a plain value`);
  const root = rootSection(statements);
  const existing = root.find((s) => s.kind === 'keyvalue' && samePath(s.key, [key]));
  if (existing) {
    if (text.slice(existing.valueStart, existing.valueEnd) === rendered) return text;
    return applySplices(text, [{ start: existing.valueStart, end: existing.valueEnd, text: rendered }]);
  }
  const eol = detectEol(text);
  const lines = [...comment.map((c) => `# ${c}`), `${key} = ${rendered}`];
  if (!root.some((s) => s.kind === 'keyvalue')) {
    // No root keys: start the file with ours, separated from what follows by a blank line.
    const separator = text.length > 0 && !/^[ \t]*\r?\n/.test(text) ? eol : '';
    return lines.map((l) => l + eol).join('') + separator + text;
  }
  const { at, indent, prefix } = insertionPoint(text, root, 0, eol);
  return applySplices(text, [{ start: at, end: at, text: prefix + lines.map((l) => indent + l + eol).join('') }]);
}

export interface TableEdit {
  /** Keys to set, in the order new ones are added; values are already-rendered TOML. */
  set: Array<[key: string, rendered: string]>;
  /** Keys to delete from the table if present. */
  remove?: string[];
  /** Comment lines (without '#') placed above the table header when the table has to be created. */
  comment?: string[];
}

/**
 * Refuses documents where `table` is (also) defined some way other than one `[table]` header, e.g. by
 * dotted keys in a parent table or as an inline table: adding a header then would make the file invalid.
 */
function assertOnlyDefinedByHeader(statements: TomlStatement[], table: string[]): void {
  const where = (s: TomlStatement) => `line ${s.line}`;
  const name = table.join('.');
  let current: string[] = [];
  let headers = 0;
  for (const s of statements) {
    if (isHeader(s)) {
      current = s.key;
      if (s.kind === 'array-table' && startsWith(table, s.key)) {
        throw new TomlEditConflict(`${where(s)}: [[${s.key.join('.')}]] makes '${name}' an array of tables`);
      }
      if (s.kind === 'table' && samePath(s.key, table) && ++headers > 1) {
        throw new TomlEditConflict(`${where(s)}: [${name}] appears more than once`);
      }
      continue;
    }
    if (s.kind !== 'keyvalue') continue;
    // A key/value in a table above ours whose dotted path runs into (or through) our table defines it.
    if (current.length < table.length && startsWith(table, current)) {
      const full = [...current, ...s.key];
      const shared = Math.min(full.length, table.length);
      if (samePath(full.slice(0, shared), table.slice(0, shared))) {
        throw new TomlEditConflict(
          `${where(s)}: '${name}' is defined with dotted keys or an inline table; move it into a [${name}] section`,
        );
      }
    }
  }
}

/**
 * Makes `[table]` contain the given keys, creating the table at the end of the file if it is missing.
 * Other keys in the table, its sub-tables and the rest of the document are left as they are.
 */
export function setTableKeys(text: string, table: string[], edit: TableEdit): string {
  const statements = scanToml(text);
  assertOnlyDefinedByHeader(statements, table);
  const eol = detectEol(text);
  const headerIndex = statements.findIndex((s) => s.kind === 'table' && samePath(s.key, table));

  if (headerIndex < 0) {
    const header = `[${table.map(renderKeyPart).join('.')}]`;
    const block = [...(edit.comment ?? []).map((c) => `# ${c}`), header, ...edit.set.map(([k, v]) => `${k} = ${v}`)];
    let separator = '';
    if (text.length > 0) {
      if (!text.endsWith('\n')) separator = eol + eol;
      else if (!/\r?\n[ \t]*\r?\n$/.test(text) && text.trim().length > 0) separator = eol;
    }
    return text + separator + block.map((l) => l + eol).join('');
  }

  const header = statements[headerIndex];
  const nextHeader = statements.findIndex((s, i) => i > headerIndex && isHeader(s));
  const section = statements.slice(headerIndex + 1, nextHeader < 0 ? statements.length : nextHeader);
  const keyValue = (key: string) => section.find((s) => s.kind === 'keyvalue' && samePath(s.key, [key]));

  const splices: Splice[] = [];
  const missing: Array<[string, string]> = [];
  for (const [key, rendered] of edit.set) {
    const existing = keyValue(key);
    if (!existing) missing.push([key, rendered]);
    else if (text.slice(existing.valueStart, existing.valueEnd) !== rendered) {
      splices.push({ start: existing.valueStart, end: existing.valueEnd, text: rendered });
    }
  }
  for (const key of edit.remove ?? []) {
    const existing = keyValue(key);
    if (existing) splices.push({ start: existing.start, end: existing.end, text: '' });
  }
  if (missing.length > 0) {
    const { at, indent, prefix } = insertionPoint(text, section, header.end, eol);
    splices.push({ start: at, end: at, text: prefix + missing.map(([k, v]) => `${indent}${k} = ${v}${eol}`).join('') });
  }
  return splices.length === 0 ? text : applySplices(text, splices);
}

function renderKeyPart(part: string): string {
  return /^[A-Za-z0-9_-]+$/.test(part) ? part : JSON.stringify(part);
}
